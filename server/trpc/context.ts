import type { IncomingMessage } from 'node:http';
import type { PresentedCredentials } from '../domain/caller';
import type { Deps, RequestOrigin } from '../domain/deps';

/** Which face a call came through: typed RPC at /trpc, or the REST facade. Errors are shaped per face. */
export type Transport = 'rpc' | 'rest';

export interface Context {
  deps: Deps;
  transport: Transport;
  credentials: PresentedCredentials;
  origin: RequestOrigin;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Only reads the request: who the caller is gets resolved in a procedure middleware, so
 * that a bad credential becomes an ordinary error with a context to format it.
 */
export function createContextFactory(deps: Deps, transport: Transport) {
  return ({ req }: { req: IncomingMessage }): Context => ({
    deps,
    transport,
    credentials: { authorization: header(req, 'authorization'), apiKey: header(req, 'x-api-key') },
    origin: {
      // Express computes req.ip (and honours its 'trust proxy' setting); plain node has only the socket.
      ipAddress: (req as IncomingMessage & { ip?: string }).ip ?? req.socket.remoteAddress ?? null,
      userAgent: header(req, 'user-agent') ?? null,
    },
  });
}
