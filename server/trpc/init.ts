import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { resolveCaller, type Caller } from '../domain/caller';
import { isDatabaseUnavailable } from '../db/errors';
import { AppError, type ErrorReason } from '../errors';
import type { Context } from './context';

/** Who may call a procedure; also drives the `security` of each operation in /openapi.json. */
export type Access = 'anonymous' | 'optional' | 'user' | 'session';
export type Meta = OpenApiMeta<{ access?: Access }>;

const INTERNAL_MESSAGE = 'Internal server error';

/** A failover takes seconds: a client retrying about this often is back soon after it ends. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // A 500 says nothing about internals: no message of the original error, no stack.
    errorFormatter({ shape, error, ctx }) {
      const internal = error.code === 'INTERNAL_SERVER_ERROR';
      const message = internal ? INTERNAL_MESSAGE : shape.message;
      const reason: ErrorReason | undefined = error.cause instanceof AppError ? error.cause.reason : undefined;
      const issues = isZodError(error.cause) ? error.cause.issues : undefined;
      if (ctx?.transport === 'rest') {
        // trpc-to-openapi spreads this shape into the REST body and then sets its own
        // `code` (the name) and `issues`: the body becomes { message, code, reason?, issues? }.
        return { code: shape.code, message, data: undefined as never, ...(reason ? { reason } : {}) };
      }
      return {
        code: shape.code,
        message: isZodError(error.cause) ? 'Input validation failed' : message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...(reason ? { reason } : {}),
          ...(issues ? { issues } : {}),
        },
      };
    },
  });

function isZodError(value: unknown): value is Error & { issues: unknown[] } {
  return value instanceof Error && value.name === 'ZodError' && Array.isArray((value as { issues?: unknown }).issues);
}

export const router = t.router;
export const mergeRouters = t.mergeRouters;

/**
 * Domain code throws AppError; here it becomes the TRPCError whose code sets the HTTP status.
 * A database that cannot be reached becomes a 503 the client may retry, not a 500.
 */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const appError =
    result.error.cause instanceof AppError
      ? result.error.cause
      : isDatabaseUnavailable(result.error.cause)
        ? new AppError('database_unavailable', undefined, { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS })
        : null;
  if (!appError) return result;
  return { ...result, error: new TRPCError({ code: appError.code, message: appError.message, cause: appError }) };
});

const withCaller = t.procedure.use(mapAppErrors).use(async ({ ctx, next }) => {
  const caller: Caller = await resolveCaller(ctx.deps, ctx.credentials);
  return next({ ctx: { caller } });
});

/** Anyone may call; credentials sent along must still be valid. */
export const publicProcedure = withCaller.meta({ access: 'optional' });

/** Only for callers with no account yet (sign-up, sign-in); credentials sent along must still be valid. */
export const anonymousProcedure = withCaller.meta({ access: 'anonymous' });

/** A caller acting as a user: Bearer access token or API key. */
export const userProcedure = withCaller.meta({ access: 'user' }).use(({ ctx, next }) => {
  if (ctx.caller.kind !== 'user') throw new AppError('authentication_required');
  return next({ ctx: { caller: ctx.caller } });
});

/** A signed-in user in a session (Bearer); an API key alone is refused. */
export const sessionProcedure = withCaller.meta({ access: 'session' }).use(({ ctx, next }) => {
  if (ctx.caller.kind !== 'user') throw new AppError('authentication_required');
  const { sessionId } = ctx.caller;
  if (sessionId === null) throw new AppError('session_required');
  return next({ ctx: { caller: { ...ctx.caller, sessionId } } });
});
