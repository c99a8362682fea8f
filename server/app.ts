import { createExpressMiddleware } from '@trpc/server/adapters/express';
import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import swaggerUi from 'swagger-ui-express';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import type { Deps } from './domain/deps';
import { AppError } from './errors';
import { formBodies } from './form-bodies';
import { createLogger, requestLogging } from './logging';
import { createMetrics, type Metrics } from './metrics';
import { JWKS_MAX_AGE_SECONDS } from './domain/signing-keys';
import { buildOpenApiDocument } from './openapi';
import {
  BODY_LIMIT_BYTES,
  declaresBodyTooLarge,
  jsonDepthExceeds,
  MAX_BATCH_SIZE,
  MAX_JSON_DEPTH,
  TOO_DEEP_MESSAGE,
  TOO_LARGE_MESSAGE,
  trpcRequestLimits,
} from './request-limits';
import { createContextFactory } from './trpc/context';
import { appRouter, CREATED_PROCEDURES, procedureMetas } from './trpc/root';
import { mergeRouters, router } from './trpc/init';
import { benchFloorRouter } from './routers/bench/noop';
import { databaseDeadline } from './request-deadline';

export interface AppOptions {
  deps: Deps;
  /** GET /ready: resolves when the database answers. */
  checkDatabase: () => Promise<void>;
  /** Where unexpected (500) errors are reported; never sent to the client. Defaults to the logger. */
  reportError?: (error: unknown) => void;
  logger?: Logger;
  /** Must be the metrics whose telemetry `deps` reports to, so domain counters are served too. */
  metrics?: Metrics;
}

/**
 * The seed's logout-all and sessions curls POST with neither body nor Content-Type.
 * Such an empty POST is an empty JSON object, so that it reaches the procedure instead
 * of being refused as an unsupported media type.
 */
const emptyBodyIsJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (req.method === 'POST' && !hasBody && req.headers['content-type'] === undefined) {
    req.headers['content-type'] = 'application/json';
    req.body = {};
  }
  next();
};

/**
 * tRPC labels a few of its JSON error bodies text/plain (a 415, a bad batch), and sends one
 * (an unparsable URL) with no type at all: every answer here is JSON.
 */
const labelJson: RequestHandler = (_req, res, next) => {
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
    const type = res.getHeader('content-type');
    if (type === undefined || String(type).startsWith('text/plain')) {
      res.setHeader('Content-Type', 'application/json');
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
  next();
};

/** Tokens and keys travel in these responses: nothing may cache them. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * helmet()'s security headers, computed once by helmet itself and set in one call. With its
 * default options they are the same on every response, and running its dozen middlewares on
 * every request cost some 5 % of the CPU of a Bearer call.
 */
function securityHeaders(): RequestHandler {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let called = false;
  helmet()({} as express.Request, recorder as unknown as express.Response, () => (called = true));
  if (!called || headers.size === 0) throw new Error('helmet did not set its headers synchronously');
  return (_req, res, next) => {
    res.setHeaders(headers);
    next();
  };
}

function sendError(res: express.Response, status: number, code: string, message: string) {
  res.status(status).json({ message, code });
}

/** Bounded metric labels: 'rest:auth.refresh', 'rpc:auth.refresh', 'health', ... or 'other'. */
function operationNamer(): (path: string) => string {
  const byPath = new Map<string, string>([
    ['/health', 'health'],
    ['/ready', 'ready'],
    ['/metrics', 'metrics'],
    ['/openapi.json', 'openapi'],
  ]);
  for (const [name, meta] of procedureMetas()) {
    byPath.set(`/trpc/${name}`, `rpc:${name}`);
    const restPath = meta?.openapi?.path;
    if (restPath) byPath.set(restPath, `rest:${name}`);
  }
  return (path) => {
    const canonical = path.startsWith('/api/auth') ? path.slice('/api'.length) : path;
    return byPath.get(canonical) ?? (path.startsWith('/docs') ? 'docs' : path.startsWith('/trpc/') ? 'rpc:batch' : 'other');
  };
}

/** 429s and 503s carry Retry-After, over both faces. */
function retryAfterHeader(errors: ReadonlyArray<{ cause?: unknown }>): Record<string, string> | undefined {
  for (const error of errors) {
    if (error.cause instanceof AppError && error.cause.retryAfterSeconds !== undefined) {
      return { 'Retry-After': String(error.cause.retryAfterSeconds) };
    }
  }
  return undefined;
}

export function createApp({
  deps,
  checkDatabase,
  logger = createLogger('silent'),
  metrics = createMetrics({ processMetrics: false }),
  reportError = (error) => logger.error({ err: error }, 'unexpected error'),
}: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestLogging(logger, { operationOf: operationNamer(), onFinish: metrics.observeRequest }));
  // HTTP/1.1 requires Host (RFC 9112 §3.2); checked here rather than by Node, so the 400 is JSON like every other.
  app.use((req, res, next) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return sendError(res, 400, 'BAD_REQUEST', 'An HTTP/1.1 request needs a Host header');
    }
    next();
  });
  app.use(databaseDeadline(deps.config.databaseTimeoutSeconds));
  app.use(securityHeaders());
  if (deps.config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: deps.config.corsOrigins,
        methods: ['GET', 'POST'],
        allowedHeaders: ['Content-Type', 'Authorization', 'X-Api-Key', 'X-Request-Id'],
        exposedHeaders: ['Retry-After', 'X-Request-Id'],
        maxAge: 600,
      }),
    );
  }

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await checkDatabase();
      res.json({ status: 'ready' });
    } catch {
      sendError(res, 503, 'SERVICE_UNAVAILABLE', 'Database is not reachable, or is not a writable primary');
    }
  });

  // The public keys other services verify access tokens with. Public by nature: any origin may read them.
  app.get('/.well-known/jwks.json', async (_req, res) => {
    try {
      const keys = deps.signingKeys ? await deps.signingKeys.published() : [];
      res.setHeader('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.json({ keys });
    } catch (error) {
      reportError(error);
      sendError(res, 503, 'SERVICE_UNAVAILABLE', 'The signing keys cannot be read right now');
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  const openApiDocument = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument, { customSiteTitle: 'Gatehouse API' }));

  const onError = ({ error }: { error: { code: string; cause?: unknown } }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') reportError(error.cause ?? error);
  };

  app.use(
    '/trpc',
    noStore,
    labelJson,
    emptyBodyIsJson,
    trpcRequestLimits(),
    createExpressMiddleware({
      router: appRouter,
      createContext: createContextFactory(deps, 'rpc'),
      maxBodySize: BODY_LIMIT_BYTES,
      // Checked above with a clearer message; this is the backstop.
      maxBatchSize: MAX_BATCH_SIZE,
      // Raw HTTP callers may POST a query too, as REST does.
      allowMethodOverride: true,
      onError,
      responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
    }),
  );

  // The seed's base URL ends in /api: /api/auth/... is the same REST facade.
  app.use((req, _res, next) => {
    if (req.url === '/api/auth' || req.url.startsWith('/api/auth/') || req.url.startsWith('/api/auth?')) {
      req.url = req.url.slice('/api'.length);
    }
    next();
  });

  const rest = createOpenApiNodeHttpHandler({
    // The benchmark's no-op procedure exists only when asked for (BENCH_FLOOR_PROCEDURE).
    router: deps.config.benchFloorProcedure ? mergeRouters(appRouter, router({ bench: benchFloorRouter })) : appRouter,
    createContext: createContextFactory(deps, 'rest'),
    maxBodySize: BODY_LIMIT_BYTES,
    onError,
    responseMeta: ({ paths, errors }) => {
      if (errors.length > 0) return { headers: retryAfterHeader(errors) };
      return paths?.[0] && CREATED_PROCEDURES.has(paths[0]) ? { status: 201 } : {};
    },
  });
  app.post(
    ['/auth', '/auth/{*rest}'],
    noStore,
    emptyBodyIsJson,
    // Introspection (RFC 7662) also takes form bodies; parsed here, past the 415 below.
    formBodies(),
    (req, res, next) => {
      if (declaresBodyTooLarge(req)) {
        res.setHeader('Connection', 'close');
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', TOO_LARGE_MESSAGE);
      }
      // An empty POST was already given an empty JSON body above.
      if (req.body !== undefined || req.is('application/json')) return next();
      sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json');
    },
    // Parsed here so that `application/json; charset=utf-8` bodies are not lost.
    express.json({ limit: BODY_LIMIT_BYTES, strict: true }),
    (req, res, next) => {
      if (jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
        return sendError(res, 400, 'BAD_REQUEST', TOO_DEEP_MESSAGE);
      }
      // A rejection here would be unhandled, and stop the process.
      rest(req, res, next).catch(next);
    },
  );

  app.use((_req, res) => {
    sendError(res, 404, 'NOT_FOUND', 'Not found');
  });

  // Body-parser failures and anything unexpected: always JSON, never a stack or an HTML page.
  const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
    const { type, status } = error as { type?: string; status?: number };
    const isClientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!isClientError) reportError(error);
    // Too late for an answer: end the connection (Express's own handler would print the stack).
    if (res.headersSent) return void res.destroy();
    if (type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', TOO_LARGE_MESSAGE);
    if (type === 'entity.parse.failed') return sendError(res, 400, 'PARSE_ERROR', 'Request body is not valid JSON');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset');
    }
    if (isClientError) return sendError(res, status, 'BAD_REQUEST', 'Bad request');
    return sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
  app.use(errorHandler);

  return app;
}
