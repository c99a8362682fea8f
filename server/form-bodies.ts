import express, { type RequestHandler } from 'express';
import { BODY_LIMIT_BYTES, declaresBodyTooLarge } from './request-limits';
import { procedureMetas } from './trpc/root';

const FORM = 'application/x-www-form-urlencoded';
const MAX_FIELDS = 100;

/** REST paths whose procedure declares form bodies in its openapi meta (RFC 7662 introspection). */
function formBodyPaths(): Set<string> {
  const paths = new Set<string>();
  for (const [, meta] of procedureMetas()) {
    if (meta?.openapi?.path && meta.openapi.contentTypes?.includes(FORM)) paths.add(meta.openapi.path);
  }
  return paths;
}

/** By the header alone (`req.is` says no to an empty body, which should be a 400 for the missing token, not a 415). */
function isForm(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === FORM;
}

/**
 * `application/x-www-form-urlencoded` bodies, on the paths that accept them only; every other
 * path stays JSON-only (the 415 after this). Flat fields only (`a[b]=c` stays a key of its own,
 * a repeated field becomes a list that the input schema refuses). trpc-to-openapi 3 itself answers
 * 415 to anything but JSON, so once parsed the request is labelled JSON: the handler then takes
 * the parsed body as it is.
 */
export function formBodies(): RequestHandler {
  const paths = formBodyPaths();
  const parse = express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: MAX_FIELDS });
  return (req, res, next) => {
    // A body declared too large is refused by the 413 that follows, before a byte is read.
    if (!paths.has(req.path) || req.body !== undefined || !isForm(req.headers['content-type']) || declaresBodyTooLarge(req)) {
      return next();
    }
    parse(req, res, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === 'parameters.too.many') {
        return void res.status(400).json({ message: `A form body holds at most ${MAX_FIELDS} fields`, code: 'BAD_REQUEST' });
      }
      // Too large, a bad charset or encoding: the JSON error handler answers.
      if (error) return next(error);
      req.body ??= {};
      req.headers['content-type'] = 'application/json';
      next();
    });
  };
}
