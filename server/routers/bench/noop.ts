import { randomBytes } from 'node:crypto';
import { lookUpOrganizationId } from '../../db/queries/bench-floor';
import { authResponse } from '../common.schema';
import { refreshTokenInput } from '../auth/auth.schema';
import { publicProcedure, router } from '../../trpc/init';

/** About the size of a signed access token, so that the answer weighs what a refresh's does. */
const ACCESS_TOKEN_STAND_IN = randomBytes(248).toString('base64url');

/**
 * The benchmark's floor: a procedure that does nothing, served by the same app as every other
 * (request log, deadline, helmet, body parsing, trpc-to-openapi, the caller middleware, zod in
 * and out), with refresh's body and an answer of refresh's size. An operation's server CPU per
 * call minus this one's is what the operation itself costs.
 *
 * Mounted only when BENCH_FLOOR_PROCEDURE=true (see createApp): otherwise the path is a 404
 * like any unknown one, and it is never in the OpenAPI document nor in `AppRouter`.
 */
export const benchFloorRouter = router({
  noop: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/bench/noop', tags: ['bench'], summary: 'Does nothing (benchmark only)' } })
    .input(refreshTokenInput)
    .output(authResponse)
    .mutation(({ input }) => ({ access_token: ACCESS_TOKEN_STAND_IN, refresh_token: input.refresh_token })),
  /**
   * The floor plus one round trip to the database: one prepared primary-key lookup that finds
   * nothing. Every operation that reads or writes a session needs at least this much; its CPU
   * above the floor is what one statement costs the app (the driver, drizzle, the socket).
   */
  noopQuery: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/bench/noop-query', tags: ['bench'], summary: 'One lookup, nothing else (benchmark only)' } })
    .input(refreshTokenInput)
    .output(authResponse)
    .mutation(async ({ ctx, input }) => {
      await lookUpOrganizationId(ctx.deps.db, input.refresh_token);
      return { access_token: ACCESS_TOKEN_STAND_IN, refresh_token: input.refresh_token };
    }),
});

