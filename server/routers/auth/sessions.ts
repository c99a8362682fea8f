import { describeDevice } from '../../domain/devices';
import { listUserSessions } from '../../domain/sessions';
import { userProcedure } from '../../trpc/init';
import { sessionsResponse } from './auth.schema';

export const sessions = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/sessions',
      tags: ['auth'],
      summary: 'Get all active sessions for the current user',
      description:
        'Active sessions only, most recently used first. `current` marks the session of the Bearer token; `device` tells the browser, OS and kind of device it was signed in from.',
    },
  })
  .output(sessionsResponse)
  .query(async ({ ctx }) => {
    const rows = await listUserSessions(ctx.deps, ctx.caller.user.id);
    return {
      sessions: rows.map((session) => ({
        id: session.id,
        userAgent: session.userAgent,
        lastAccessedAt: session.lastAccessedAt.toISOString(),
        createdAt: session.createdAt.toISOString(),
        ipAddress: session.ipAddress,
        current: session.id === ctx.caller.sessionId,
        device: describeDevice(session.userAgent, session.clientHints),
      })),
    };
  });
