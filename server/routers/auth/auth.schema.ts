import { z } from 'zod';
import { ORG_PRIMARY_USES, ORG_SIZES, ORG_TYPES, ORG_PLANS, ORG_STATUSES } from '../../domain/organizations';
import { AUDIT_EVENT_TYPES, AUDIT_PAGE_SIZE_MAX } from '../../domain/audit';
import { DEVICE_TYPES } from '../../domain/devices';
import { isoDateTime, text } from '../common.schema';

export const refreshTokenInput = z
  .object({
    refresh_token: text(512).min(1).meta({ example: 'dGhpcyBpcyBhIHJlZnJlc2ggdG9rZW4...' }),
  })
  .meta({ id: 'RefreshTokenRequest' });

export const revokeSessionInput = z
  .object({
    sessionId: z.guid().meta({ description: 'UUID', example: '550e8400-e29b-41d4-a716-446655440000' }),
  })
  .meta({ id: 'RevokeSessionRequest' });

export const deviceSchema = z
  .object({
    browser: z.string().nullable().meta({ example: 'Chrome' }),
    browserVersion: z.string().nullable().meta({ example: '131.0.6778.85' }),
    os: z.string().nullable().meta({ example: 'macOS' }),
    osVersion: z.string().nullable().meta({ example: '14.6.1' }),
    type: z.enum(DEVICE_TYPES).nullable().meta({ example: 'desktop' }),
  })
  .meta({
    id: 'Device',
    description:
      'The device the session was signed in from, read from its user agent and, when the browser sent them at sign-in, its User-Agent Client Hints. Each field is null when unknown.',
  });

export const sessionSchema = z
  .object({
    id: z.string().meta({ example: '550e8400-e29b-41d4-a716-446655440000' }),
    userAgent: z.string().nullable().meta({ example: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)' }),
    lastAccessedAt: isoDateTime,
    createdAt: isoDateTime,
    ipAddress: z.string().nullable(),
    current: z.boolean().meta({ description: 'True for the session of the Bearer token this call carries' }),
    device: deviceSchema,
  })
  .meta({ id: 'Session' });

export const sessionsResponse = z.object({ sessions: z.array(sessionSchema) }).meta({ id: 'SessionsResponse' });

const password = text(1024).min(8).meta({ description: 'At least 8 characters' });
export const email = text(320).pipe(z.email());

export const registerInput = z
  .object({
    email,
    password,
    name: text(200).trim().min(1).optional(),
    organization: z.object({
      name: text(200).trim().min(1),
      type: z.enum(ORG_TYPES),
      size: z.enum(ORG_SIZES),
      primaryUse: z.enum(ORG_PRIMARY_USES),
    }),
  })
  .meta({ id: 'RegisterRequest' });

export const reauthenticateInput = z
  .object({ password: text(1024).min(1) })
  .meta({ id: 'ReauthenticateRequest' });

export const loginInput = z
  .object({ email: text(320).min(1), password: text(1024).min(1) })
  .meta({ id: 'LoginRequest' });

export const meResponse = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string().nullable(),
      createdAt: isoDateTime,
    }),
    organization: z.object({
      id: z.string(),
      name: z.string(),
      type: z.enum(ORG_TYPES),
      plan: z.enum(ORG_PLANS),
      size: z.enum(ORG_SIZES),
      primaryUse: z.enum(ORG_PRIMARY_USES),
      status: z.enum(ORG_STATUSES),
      createdAt: isoDateTime,
    }),
  })
  .meta({ id: 'MeResponse' });

export const changePasswordInput = z
  .object({ currentPassword: text(1024).min(1), newPassword: password })
  .meta({ id: 'ChangePasswordRequest' });

export const revokeOtherSessionsResponse = z
  .object({ message: z.string(), revokedCount: z.number().int().nonnegative() })
  .meta({ id: 'RevokeOtherSessionsResponse' });

export const auditEventsInput = z
  .object({
    cursor: text(200).min(1).optional().meta({ description: 'nextCursor of the previous page' }),
    limit: z.number().int().min(1).max(AUDIT_PAGE_SIZE_MAX).optional().meta({ description: 'Default 50' }),
  })
  .optional()
  .meta({ id: 'AuditEventsRequest' });

export const auditEventSchema = z
  .object({
    id: z.string(),
    type: z.enum(AUDIT_EVENT_TYPES),
    sessionId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    ipAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'AuditEvent' });

export const auditEventsResponse = z
  .object({ events: z.array(auditEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditEventsResponse' });
