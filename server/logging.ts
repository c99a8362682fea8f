import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type Logger } from 'pino';

/**
 * Structured logs. Credentials never reach a log line: request bodies and headers are not
 * logged at all, and these paths are redacted in case an error object carries them.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.authorization',
  '*["x-api-key"]',
  '*.refresh_token',
  '*.access_token',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.key',
];

/**
 * The per-request line is built from known fields only (never a header or a body), so it is
 * written by a twin logger without redaction: wildcard redaction costs some 20 µs a line,
 * on every refresh.
 */
const accessTwins = new WeakMap<Logger, Logger>();

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const base = { service: 'gatehouse' };
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base }, destination as never);
  accessTwins.set(logger, pino({ level, base }, destination as never));
  return logger;
}

function accessLogger(logger: Logger): Logger {
  return accessTwins.get(logger) ?? logger;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The path of a request target, for the operation label. Never throws: `//`, `//a:b@` or
 * `//[` are no valid URL relative to a base, and an absolute-form target may be anything.
 */
export function pathOf(target: string): string {
  if (target.startsWith('/')) {
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return '';
  }
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is safe to echo, else a new
 * one), returns it in the response, and logs one line per request when it finishes.
 */
export function requestLogging(
  logger: Logger,
  { operationOf, onFinish }: { operationOf: (path: string) => string; onFinish?: (operation: string, status: number, seconds: number) => void },
): RequestHandler {
  const access = accessLogger(logger);
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    // An exception in a response listener is uncaught: it would stop the process. Nothing
    // in these two may throw, whatever the request was.
    res.on('finish', () => {
      try {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // originalUrl: mounted routers (/trpc) rewrite req.url while they handle a request.
        const operation = operationOf(pathOf(req.originalUrl));
        onFinish?.(operation, res.statusCode, seconds);
        const line = {
          requestId,
          method: req.method,
          operation,
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
          ip: req.ip,
        };
        if (res.statusCode >= 500) access.error(line, 'request failed');
        else access.info(line, 'request');
      } catch (error) {
        logger.error({ err: error, requestId }, 'access log failed');
      }
    });
    // Writing after the end of a response emits 'error' on it; unheard, that would throw.
    res.on('error', (error) => logger.error({ err: error, requestId }, 'response failed'));
    next();
  };
}
