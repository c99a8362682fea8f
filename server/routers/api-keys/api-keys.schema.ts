import { z } from 'zod';
import { currentPassword, isoDateTime, text } from '../common.schema';

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, to tell keys apart', example: 'gk_3kTq9xYb' }),
    createdBy: z.string().meta({ description: 'Id of the user the key acts as' }),
    createdAt: isoDateTime,
    lastUsedAt: isoDateTime.nullable(),
    expiresAt: isoDateTime.nullable(),
    revokedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const apiKeysResponse = z.object({ apiKeys: z.array(apiKeySchema) }).meta({ id: 'ApiKeysResponse' });

export const createApiKeyInput = z
  .object({
    name: text(200).trim().min(1),
    expiresAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'Optional expiry (ISO 8601, in the future)' }),
    currentPassword: currentPassword.optional(),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const createdApiKeyResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    key: z.string().meta({ description: 'The secret. Shown this once: store it now.' }),
    prefix: z.string(),
    createdAt: isoDateTime,
    expiresAt: isoDateTime.nullable(),
  })
  .meta({ id: 'CreatedApiKey' });

export const revokeApiKeyInput = z.object({ id: text(64).min(1) }).meta({ id: 'RevokeApiKeyRequest' });
