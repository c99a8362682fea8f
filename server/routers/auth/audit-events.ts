import { listOwnAuditEvents, type AuditEventType } from '../../domain/audit';
import { userProcedure } from '../../trpc/init';
import { auditEventsInput, auditEventsResponse } from './auth.schema';

const DEFAULT_PAGE_SIZE = 50;

export const auditEvents = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/audit-events',
      tags: ['auth'],
      summary: "The caller's own audit events",
      description:
        'Sign-ins (and failed ones), refreshes, reuse detections, logouts, revocations, password changes and ' +
        'key changes of the calling user, newest first. Pass `nextCursor` back as `cursor` for the next page.',
    },
  })
  .input(auditEventsInput)
  .output(auditEventsResponse)
  .query(async ({ ctx, input }) => {
    const page = await listOwnAuditEvents(ctx.deps.db, {
      userId: ctx.caller.user.id,
      cursor: input?.cursor ?? null,
      limit: input?.limit ?? DEFAULT_PAGE_SIZE,
    });
    return {
      events: page.events.map((event) => ({
        id: String(event.id),
        type: event.type as AuditEventType,
        sessionId: event.sessionId,
        apiKeyId: event.apiKeyId,
        ipAddress: event.ipAddress,
        userAgent: event.userAgent,
        details: event.details,
        createdAt: event.createdAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  });
