import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppError } from '../../errors';
import { parseWebhookUrl, resolveAllowedAddresses, systemResolveHost, type ResolveHost } from './addresses';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type WebhookAnswer =
  | { kind: 'response'; status: number; body: string; durationMs: number }
  | { kind: 'error'; error: WebhookTransportError; durationMs: number };

export type WebhookTransportError = 'timeout' | 'address_not_allowed' | 'connection_failed';

/** Sends one delivery; never throws. The worker takes one, so tests can stand in for the network. */
export type WebhookTransport = (request: WebhookRequest) => Promise<WebhookAnswer>;

export const DELIVERY_TIMEOUT_MS = 10_000;
export const RESPONSE_BODY_LIMIT_BYTES = 1024;

/**
 * POSTs over node's http/https: no redirect is ever followed (a 3xx is an answer like any
 * other, and not a success), the whole exchange is cut off after `timeoutMs`, and only the
 * first kilobyte of the answer is read. The URL's name is resolved and every address checked
 * right before connecting; the socket is then given exactly those addresses through
 * `lookup`, so a name that changes its answer in between (DNS rebinding) gains nothing.
 */
export function createHttpTransport({
  allowPrivate,
  resolveHost = systemResolveHost,
  timeoutMs = DELIVERY_TIMEOUT_MS,
}: {
  allowPrivate: boolean;
  resolveHost?: ResolveHost;
  timeoutMs?: number;
}): WebhookTransport {
  return async (req) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const deadline = AbortSignal.timeout(timeoutMs);
    let addresses: string[];
    try {
      const url = parseWebhookUrl(req.url, { allowPrivate });
      addresses = await Promise.race([
        resolveAllowedAddresses(url, { allowPrivate, resolveHost }),
        new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(deadline.reason), { once: true })),
      ]);
    } catch (error) {
      if (error instanceof AppError) return { kind: 'error', error: 'address_not_allowed', durationMs: elapsed() };
      return { kind: 'error', error: deadline.aborted ? 'timeout' : 'connection_failed', durationMs: elapsed() };
    }
    try {
      const { status, body } = await post(req, addresses, deadline);
      return { kind: 'response', status, body, durationMs: elapsed() };
    } catch {
      return { kind: 'error', error: deadline.aborted ? 'timeout' : 'connection_failed', durationMs: elapsed() };
    }
  };
}

function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  }) as unknown as LookupFunction;
}

function post(req: WebhookRequest, addresses: string[], signal: AbortSignal): Promise<{ status: number; body: string }> {
  const url = new URL(req.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
        lookup: pinnedLookup(addresses),
        // A connection of its own each time: a pooled socket could outlive the address check.
        agent: false,
        signal,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const finish = () => {
          resolve({ status: response.statusCode ?? 0, body: firstKilobyte(Buffer.concat(chunks)) });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
          // Enough for the record: a receiver streaming megabytes does not keep the slot busy.
          if (length >= RESPONSE_BODY_LIMIT_BYTES) finish();
        });
        response.on('end', finish);
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** At most 1 kB of whole UTF-8 characters, without NUL bytes (PostgreSQL text cannot hold them). */
function firstKilobyte(raw: Buffer): string {
  const text = new TextDecoder('utf-8').decode(raw.subarray(0, RESPONSE_BODY_LIMIT_BYTES), { stream: true });
  return text.replaceAll('\u0000', '');
}
