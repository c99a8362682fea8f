import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { IncomingMessage } from 'node:http';
import express, { type Request, type RequestHandler, type Response } from 'express';

/** Limits on what one request may carry, the same over REST and /trpc. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * No Gatehouse input is nested more than a few levels; a body nested thousands deep would
 * only overflow the stack when re-serialised further down (a 500).
 */
export const MAX_JSON_DEPTH = 32;

/** SPEC: a tRPC batch holds at most 10 calls. Every call of a batch counts against every limit. */
export const MAX_BATCH_SIZE = 10;

export const TOO_DEEP_MESSAGE = `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`;
export const TOO_LARGE_MESSAGE = 'Request body is larger than 100 kB';

/** Depth of a parsed value, checked without recursion. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Depth of a JSON text, read once without parsing it (brackets inside strings do not count). */
export function jsonTextDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** A declared length over the limit is refused before a byte of the body is read, and the connection closed. */
export function declaresBodyTooLarge(req: Request): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > BODY_LIMIT_BYTES;
}

function sendTrpcError(res: Response, status: number, code: TRPC_ERROR_CODE_KEY, message: string): void {
  res.status(status).json({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } } });
}

/** tRPC reads JSON bodies only when the media type is exactly application/json. */
function isJsonBody(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && type.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

const readJsonText = express.text({ type: isJsonBody, limit: BODY_LIMIT_BYTES });

/** Calls named in a tRPC path (`/auth.me,auth.sessions`); an encoded comma separates calls too. */
function callCount(path: string): number {
  return path.split(/,|%2c/i).length;
}

/**
 * What tRPC's own handler does not bound, in front of it at /trpc (req.url is relative to
 * the mount): methods other than GET and POST, batches of more than MAX_BATCH_SIZE calls,
 * input nested deeper than MAX_JSON_DEPTH in a POST body or a GET `?input=`, and bodies
 * over the limit. Refusals are in tRPC's error shape. The body is read here, as text, and
 * handed on to tRPC, which parses it as it would have.
 */
export function trpcRequestLimits(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      return sendTrpcError(res, 405, 'METHOD_NOT_SUPPORTED', `${req.method} is not supported at /trpc: use GET or POST`);
    }
    const queryStart = req.url.indexOf('?');
    const path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : req.url.slice(queryStart + 1));
    const isBatch = query.get('batch') === '1';
    const calls = callCount(path);
    if (isBatch && calls > MAX_BATCH_SIZE) {
      return sendTrpcError(res, 400, 'BAD_REQUEST', `A batch holds at most ${MAX_BATCH_SIZE} calls; this one has ${calls}`);
    }
    // A batch wraps the inputs in one more object, keyed by call index.
    const maxDepth = MAX_JSON_DEPTH + (isBatch ? 1 : 0);
    const input = query.get('input');
    if (input !== null && jsonTextDepthExceeds(input, maxDepth)) {
      return sendTrpcError(res, 400, 'BAD_REQUEST', `input is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    if (declaresBodyTooLarge(req)) {
      res.setHeader('Connection', 'close');
      return sendTrpcError(res, 413, 'PAYLOAD_TOO_LARGE', TOO_LARGE_MESSAGE);
    }
    if (req.method !== 'POST' || req.body !== undefined) return next();
    readJsonText(req, res, (error?: unknown) => {
      if (error) return sendBodyError(res, error, next);
      if (typeof req.body === 'string' && jsonTextDepthExceeds(req.body, maxDepth)) {
        return sendTrpcError(res, 400, 'BAD_REQUEST', TOO_DEEP_MESSAGE);
      }
      next();
    });
  };
}

/** body-parser's refusals, in tRPC's shape; anything else is unexpected and goes to the error handler. */
function sendBodyError(res: Response, error: unknown, next: (error: unknown) => void): void {
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.too.large') return sendTrpcError(res, 413, 'PAYLOAD_TOO_LARGE', TOO_LARGE_MESSAGE);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return sendTrpcError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) return sendTrpcError(res, 400, 'BAD_REQUEST', 'Bad request body');
  next(error);
}
