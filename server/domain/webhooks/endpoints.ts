import { createId } from '@paralleldrive/cuid2';
import {
  deleteOrganizationWebhookEndpoint,
  findOrganizationWebhookEndpoint,
  insertWebhookEndpointWithinLimit,
  listEndpointAttempts,
  listOrganizationWebhookEndpoints,
  type WebhookAttemptRow,
  type WebhookEndpointRow,
} from '../../db/queries/webhooks';
import { AppError } from '../../errors';
import type { Deps } from '../deps';
import { assertFreshSession, type SessionActor } from '../fresh-session';
import { parseWebhookUrl, resolveAllowedAddresses, systemResolveHost } from './addresses';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events';
import { encryptWebhookSecret, generateWebhookSecret } from './secrets';

/** Enough for every integration an organization runs; a bound on the fan-out of each event. */
export const WEBHOOK_ENDPOINTS_PER_ORGANIZATION = 20;

export interface NewWebhookEndpoint {
  url: string;
  /** Omitted: every event type, including types added later. */
  events?: WebhookEventType[] | undefined;
  description?: string | undefined;
  /** Proves the password in the same request when the session is not fresh. */
  currentPassword?: string | undefined;
}

/**
 * A new endpoint and its signing secret, which the caller sees this once. The URL is checked
 * now (https, public addresses) and again before every delivery.
 */
export async function createWebhookEndpoint(
  deps: Deps,
  actor: SessionActor,
  input: NewWebhookEndpoint,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  await assertFreshSession(deps, actor, input.currentPassword);
  const allowPrivate = deps.config.webhookAllowPrivateUrls;
  const url = parseWebhookUrl(input.url, { allowPrivate });
  await resolveAllowedAddresses(url, { allowPrivate, resolveHost: deps.resolveHost ?? systemResolveHost });

  const id = createId();
  const secret = generateWebhookSecret();
  const events = input.events === undefined ? null : WEBHOOK_EVENT_TYPES.filter((type) => input.events!.includes(type));
  const endpoint = await insertWebhookEndpointWithinLimit(
    deps.db,
    {
      id,
      organizationId: actor.organizationId,
      url: url.href,
      description: input.description ?? null,
      events,
      secretCiphertext: encryptWebhookSecret(deps.webhookSecretKey, id, secret),
      createdByUserId: actor.userId,
      createdAt: deps.clock.now(),
    },
    WEBHOOK_ENDPOINTS_PER_ORGANIZATION,
  );
  if (!endpoint) {
    throw new AppError(
      'webhook_endpoint_limit',
      `An organization has at most ${WEBHOOK_ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first`,
    );
  }
  return { endpoint, secret };
}

export function listWebhookEndpoints(deps: Deps, organizationId: string): Promise<WebhookEndpointRow[]> {
  return listOrganizationWebhookEndpoints(deps.db, organizationId);
}

/** An endpoint of another organization is answered exactly like one that does not exist. */
export async function deleteWebhookEndpoint(deps: Deps, organizationId: string, id: string): Promise<void> {
  if (!(await deleteOrganizationWebhookEndpoint(deps.db, organizationId, id))) throw new AppError('webhook_not_found');
}

export const DELIVERIES_PAGE_SIZE = 50;

/** The endpoint's attempts, newest first, a page at a time. */
export async function listWebhookDeliveries(
  deps: Deps,
  organizationId: string,
  { id, cursor }: { id: string; cursor: string | null },
): Promise<{ attempts: WebhookAttemptRow[]; nextCursor: string | null }> {
  const beforeId = cursor === null ? null : decodeCursor(cursor);
  if (!(await findOrganizationWebhookEndpoint(deps.db, organizationId, id))) throw new AppError('webhook_not_found');
  // One extra row tells whether another page follows, without a count query.
  const rows = await listEndpointAttempts(deps.db, { endpointId: id, beforeId, limit: DELIVERIES_PAGE_SIZE + 1 });
  const attempts = rows.slice(0, DELIVERIES_PAGE_SIZE);
  const nextCursor = rows.length > DELIVERIES_PAGE_SIZE ? encodeCursor(attempts[attempts.length - 1]!.id) : null;
  return { attempts, nextCursor };
}

function encodeCursor(id: number): string {
  return Buffer.from(`wa:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^wa:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('invalid_cursor');
  return Number(match[1]);
}
