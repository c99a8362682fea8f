import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/client';
import { insertWebhookEvent } from '../../db/queries/webhooks';
import type { RequestOrigin } from '../deps';

export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.revoked',
  'session.refresh_token_reused',
  'api_key.created',
  'api_key.revoked',
  'user.password_changed',
  'organization.status_changed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEvent {
  organizationId: string;
  type: WebhookEventType;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * Standard Webhooks ids are opaque strings; `msg_` says what it is when it shows up in a receiver's
 * logs. 128 random bits: unique without coordination, and cheap, since every revoke-session and
 * logout makes one before knowing whether an endpoint wants it (a cuid2 cost some 100–350 µs of CPU).
 */
export function newWebhookEventId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/**
 * Writes an event to the outbox through `db`, which must be the transaction of the change it
 * reports: a change that rolls back takes its event with it, and a committed one has its
 * event committed too. Organizations without an endpoint that wants the type write nothing.
 */
export async function recordWebhookEvent(db: Database, event: WebhookEvent): Promise<void> {
  await insertWebhookEvent(db, webhookOutboxRow(event));
}

/** The outbox row of an event: a new `webhook-id` and the exact body every attempt sends. */
export function webhookOutboxRow(event: WebhookEvent) {
  const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data });
  return { id: newWebhookEventId(), organizationId: event.organizationId, type: event.type, body, createdAt: event.occurredAt };
}

export async function recordWebhookEvents(db: Database, events: WebhookEvent[]): Promise<void> {
  for (const event of events) await recordWebhookEvent(db, event);
}

// What each event says. Field names follow the API's own (camelCase, ISO-8601 times).

interface SessionFacts {
  sessionId: string;
  userId: string;
  organizationId: string;
}

export function sessionCreated(
  session: SessionFacts & { origin: RequestOrigin; createdAt: Date; expiresAt: Date },
): WebhookEvent {
  return {
    organizationId: session.organizationId,
    type: 'session.created',
    occurredAt: session.createdAt,
    data: {
      organizationId: session.organizationId,
      userId: session.userId,
      session: {
        id: session.sessionId,
        ipAddress: session.origin.ipAddress,
        userAgent: session.origin.userAgent,
        createdAt: session.createdAt.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
      },
    },
  };
}

/** One event per ended session; `reason` is the session's revocation reason (logout, revoked, ...). */
export function sessionsRevoked(
  owner: { userId: string; organizationId: string },
  sessionIds: string[],
  reason: string,
  revokedAt: Date,
): WebhookEvent[] {
  return sessionIds.map((sessionId) => ({
    organizationId: owner.organizationId,
    type: 'session.revoked',
    occurredAt: revokedAt,
    data: {
      organizationId: owner.organizationId,
      userId: owner.userId,
      session: { id: sessionId },
      reason,
      revokedAt: revokedAt.toISOString(),
    },
  }));
}

export function refreshTokenReused(
  session: SessionFacts,
  facts: { detectedAt: Date; tokenRotatedAt: Date; rotatedBy: RequestOrigin; replayedBy: RequestOrigin },
): WebhookEvent {
  return {
    organizationId: session.organizationId,
    type: 'session.refresh_token_reused',
    occurredAt: facts.detectedAt,
    data: {
      organizationId: session.organizationId,
      userId: session.userId,
      session: { id: session.sessionId },
      tokenRotatedAt: facts.tokenRotatedAt.toISOString(),
      // The legitimate holder and the thief, in either order: both sides of the replay.
      rotatedBy: { ipAddress: facts.rotatedBy.ipAddress, userAgent: facts.rotatedBy.userAgent },
      replayedBy: { ipAddress: facts.replayedBy.ipAddress, userAgent: facts.replayedBy.userAgent },
      detectedAt: facts.detectedAt.toISOString(),
    },
  };
}

interface ApiKeyFacts {
  id: string;
  organizationId: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
}

function apiKeyData(apiKey: ApiKeyFacts) {
  return {
    id: apiKey.id,
    name: apiKey.name,
    prefix: apiKey.prefix,
    userId: apiKey.userId,
    createdAt: apiKey.createdAt.toISOString(),
    expiresAt: apiKey.expiresAt?.toISOString() ?? null,
  };
}

export function apiKeyCreated(apiKey: ApiKeyFacts): WebhookEvent {
  return {
    organizationId: apiKey.organizationId,
    type: 'api_key.created',
    occurredAt: apiKey.createdAt,
    data: { organizationId: apiKey.organizationId, apiKey: apiKeyData(apiKey) },
  };
}

export function apiKeyRevoked(apiKey: ApiKeyFacts, revokedAt: Date, reason = 'revoked'): WebhookEvent {
  return {
    organizationId: apiKey.organizationId,
    type: 'api_key.revoked',
    occurredAt: revokedAt,
    data: {
      organizationId: apiKey.organizationId,
      apiKey: { ...apiKeyData(apiKey), revokedAt: revokedAt.toISOString() },
      reason,
    },
  };
}

export function passwordChanged(
  user: { userId: string; organizationId: string; sessionId: string | null },
  changedAt: Date,
): WebhookEvent {
  return {
    organizationId: user.organizationId,
    type: 'user.password_changed',
    occurredAt: changedAt,
    data: {
      organizationId: user.organizationId,
      userId: user.userId,
      // The session that made the change; every other session of the user ends with it.
      sessionId: user.sessionId,
      changedAt: changedAt.toISOString(),
    },
  };
}

export function organizationStatusChanged(
  organization: { id: string; name: string },
  change: { previousStatus: string; status: string; changedAt: Date },
): WebhookEvent {
  return {
    organizationId: organization.id,
    type: 'organization.status_changed',
    occurredAt: change.changedAt,
    data: {
      organizationId: organization.id,
      organization: { id: organization.id, name: organization.name },
      previousStatus: change.previousStatus,
      status: change.status,
      changedAt: change.changedAt.toISOString(),
    },
  };
}
