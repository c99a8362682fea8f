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

/** A PostgreSQL error's SQLSTATE (PGlite and postgres.js both put it on `code`). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The fields of a PostgreSQL error that say what failed, never with which values. */
const DATABASE_ERROR_FIELDS = [
  'code',
  'severity',
  'constraint',
  'constraint_name',
  'table',
  'table_name',
  'column',
  'column_name',
  'schema',
  'schema_name',
  'routine',
] as const;

const MAX_CAUSE_DEPTH = 4;

/**
 * The `err` of a log line. pino's own serializer copies every enumerable property and the
 * message: for a database error that is drizzle's "Failed query: … params: …" (emails,
 * hashes), the driver's `params`/`parameters`, and messages or details that quote values
 * ("Failing row contains (…)", `invalid input syntax for type uuid: "…"`). So an error that
 * comes from the database keeps its class, its PostgreSQL fields and its stack frames only;
 * other errors keep their message too. Causes are followed, a few levels deep.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as unknown as Record<string, unknown>;
  const fromDatabase = isDatabaseError(error);
  const serialized: Record<string, unknown> = { type: error.constructor?.name || error.name };
  // Bundled drivers have minified class names ("O"); their `name` still says what they are.
  if (error.name && error.name !== serialized.type && error.name !== 'Error') serialized.name = error.name;
  if (fromDatabase) {
    for (const field of DATABASE_ERROR_FIELDS) {
      if (typeof fields[field] === 'string') serialized[field] = fields[field];
    }
  } else {
    serialized.message = error.message;
    if (typeof fields.code === 'string') serialized.code = fields.code;
  }
  // The first lines of a stack repeat the message: keep the frames alone.
  serialized.stack = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) serialized.cause = serializeError(error.cause, depth + 1);
  return serialized;
}

function isDatabaseError(error: Error): boolean {
  const fields = error as unknown as Record<string, unknown>;
  return (
    (typeof fields.code === 'string' && SQLSTATE.test(fields.code)) ||
    'params' in fields ||
    'parameters' in fields ||
    'query' in fields ||
    error.message.startsWith('Failed query:')
  );
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const base = { service: 'gatehouse' };
  const logger = pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base, serializers: { err: serializeError } },
    destination as never,
  );
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
