import { apiKeysRouter } from '../routers/api-keys';
import { authRouter } from '../routers/auth';
import { webhooksRouter } from '../routers/webhooks';
import { router, type Meta } from './init';

export const appRouter = router({
  auth: authRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
});

/** The type TypeScript clients import (`import type`) to get typed procedures. */
export type AppRouter = typeof appRouter;

/** Every procedure by its path ('auth.refresh') with its meta: what the REST document and the metrics are built from. */
export function procedureMetas(): Array<[path: string, meta: Meta | undefined]> {
  // `_def.procedures` is flat at run time: { 'auth.refresh': procedure, ... }.
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>;
  return Object.entries(procedures).map(([path, procedure]) => [path, procedure._def.meta]);
}

/** Procedures whose success is a creation: REST answers them 201. */
export const CREATED_PROCEDURES: ReadonlySet<string> = new Set(['auth.register', 'apiKeys.create', 'webhooks.create']);
