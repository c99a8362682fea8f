import { apiKeysRouter } from '../routers/api-keys';
import { authRouter } from '../routers/auth';
import { createCallerFactory, router } from './init';

export const appRouter = router({
  auth: authRouter,
  apiKeys: apiKeysRouter,
});

/** The type TypeScript clients import (`import type`) to get typed procedures. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
