import { z } from 'zod';
import { WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhooks/addresses';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks/events';
import { isoDateTime, text } from '../common.schema';

const eventType = z.enum(WEBHOOK_EVENT_TYPES);
const events = z
  .array(eventType)
  .nullable()
  .meta({ description: 'The event types sent to this endpoint; null: every type, including types added later' });

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events,
    description: z.string().nullable(),
    enabled: z.boolean().meta({ description: 'false once the endpoint answered 410 Gone: nothing more is sent' }),
    disabledAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'WebhookEndpoint' });

export const webhookEndpointsResponse = z
  .object({ webhooks: z.array(webhookEndpointSchema) })
  .meta({ id: 'WebhookEndpointsResponse' });

export const createWebhookInput = z
  .object({
    url: text(WEBHOOK_URL_MAX_LENGTH).min(1).meta({
      description: 'An https:// URL that resolves to public addresses',
      example: 'https://api.example.com/webhooks/gatehouse',
    }),
    events: z
      .array(eventType)
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length * 2)
      .optional()
      .meta({ description: 'Omitted: every event type' }),
    description: text(500).optional(),
    currentPassword: text(1024).optional().meta({
      description: 'Your password, when the session is not fresh (signed in more than 15 minutes ago)',
    }),
  })
  .meta({ id: 'CreateWebhookRequest' });

export const createdWebhookResponse = z
  .object({
    id: z.string(),
    url: z.string(),
    events,
    description: z.string().nullable(),
    secret: z.string().meta({
      description: 'The signing secret (whsec_…) for Standard Webhooks verification. Shown this once: store it now.',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
    createdAt: isoDateTime,
  })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const webhookIdInput = z.object({ id: text(64).min(1) }).meta({ id: 'WebhookIdRequest' });

export const webhookDeliveriesInput = z
  .object({
    id: text(64).min(1),
    cursor: text(200).optional().meta({ description: 'nextCursor of the previous page' }),
  })
  .meta({ id: 'WebhookDeliveriesRequest' });

export const webhookAttemptSchema = z
  .object({
    id: z.string(),
    eventId: z.string().meta({ description: 'The webhook-id header of the delivery (the same on every attempt)' }),
    eventType: eventType,
    attempt: z.number().int().meta({ description: '1 for the first attempt of this event to this endpoint' }),
    status: z.enum(['succeeded', 'failed']),
    responseStatus: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when it did not answer" }),
    responseBody: z.string().nullable().meta({ description: 'At most the first kilobyte of the answer' }),
    error: z
      .string()
      .nullable()
      .meta({ description: 'When there was no answer: timeout, connection_failed, address_not_allowed, secret_unreadable' }),
    durationMs: z.number().int(),
    attemptedAt: isoDateTime,
  })
  .meta({ id: 'WebhookAttempt' });

export const webhookDeliveriesResponse = z
  .object({ attempts: z.array(webhookAttemptSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveriesResponse' });
