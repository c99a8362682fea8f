import { createId } from '@paralleldrive/cuid2';
import {
  insertApiKey,
  listOrganizationApiKeys,
  revokeOrganizationApiKey,
  type ApiKeyRow,
} from '../db/queries/api-keys';
import type { Database } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent, type AuditActor } from './audit';
import { hashSecret, randomSecret } from './tokens';
import { apiKeyCreated, apiKeyRevoked, recordWebhookEvent } from './webhooks/events';

/** Recognisable in logs, configs and secret scanners. */
export const API_KEY_PREFIX = 'gk_';
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export async function createApiKey(
  db: Database,
  input: {
    organizationId: string;
    userId: string;
    name: string;
    expiresAt: Date | null;
    /** The session it is created in: the key is revoked with it if that session is found stolen. */
    createdInSessionId?: string | null;
  },
  now: Date,
  /** Who asked for it, for the audit log. */
  actor?: AuditActor,
): Promise<{ apiKey: ApiKeyRow; secret: string }> {
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) throw new AppError('expiry_in_past');
  const secret = API_KEY_PREFIX + randomSecret();
  const apiKey = await db.transaction(async (tx) => {
    const inserted = await insertApiKey(tx, {
      id: createId(),
      organizationId: input.organizationId,
      userId: input.userId,
      name: input.name,
      prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
      keyHash: hashSecret(secret),
      createdAt: now,
      expiresAt: input.expiresAt,
      createdInSessionId: input.createdInSessionId ?? null,
    });
    if (actor) await recordAuditEvent(tx, 'api_key_created', actor, now, { apiKeyId: inserted.id, name: inserted.name });
    await recordWebhookEvent(tx, apiKeyCreated(inserted));
    return inserted;
  });
  return { apiKey, secret };
}

export function listApiKeys(db: Database, organizationId: string): Promise<ApiKeyRow[]> {
  return listOrganizationApiKeys(db, organizationId);
}

/** A key of another organization is answered exactly like one that does not exist. */
export async function revokeApiKey(
  db: Database,
  organizationId: string,
  id: string,
  now: Date,
  actor?: AuditActor,
): Promise<void> {
  await db.transaction(async (tx) => {
    const revoked = await revokeOrganizationApiKey(tx, organizationId, id, now);
    if (!revoked) throw new AppError('api_key_not_found');
    if (actor) await recordAuditEvent(tx, 'api_key_revoked', actor, now, { apiKeyId: id });
    // Revoking a revoked key again changes nothing and sends nothing.
    if (revoked.revokedAt?.getTime() === now.getTime()) await recordWebhookEvent(tx, apiKeyRevoked(revoked, now));
  });
}
