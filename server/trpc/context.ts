import type { IncomingMessage } from 'node:http';
import type { PresentedCredentials } from '../domain/caller';
import { clientHintsOf } from '../domain/devices';
import type { Deps, RequestOrigin } from '../domain/deps';

/** Which face a call came through: typed RPC at /trpc, or the REST facade. Errors are shaped per face. */
export type Transport = 'rpc' | 'rest';

export interface Context {
  deps: Deps;
  transport: Transport;
  credentials: PresentedCredentials;
  origin: RequestOrigin;
}

/** Stored user agents are bounded: a client could otherwise grow every table that records one. */
export const MAX_USER_AGENT_LENGTH = 512;

function truncatedUserAgent(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length <= MAX_USER_AGENT_LENGTH) return value;
  // Node decodes headers as latin1, so no surrogate pair is cut today; stay safe if that changes.
  const end = /[\ud800-\udbff]/.test(value[MAX_USER_AGENT_LENGTH - 1]!) ? MAX_USER_AGENT_LENGTH - 1 : MAX_USER_AGENT_LENGTH;
  return value.slice(0, end);
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
      userAgent: truncatedUserAgent(header(req, 'user-agent')),
      clientHints: clientHintsOf((name) => header(req, name)),
    },
  });
}
