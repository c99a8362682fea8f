import { listApiKeys } from '../../domain/api-keys';
import { sessionProcedure } from '../../trpc/init';
import { apiKeysResponse } from './api-keys.schema';

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const list = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/api-keys',
      tags: ['api-keys'],
      summary: "List the organization's API keys",
      description: 'Never returns a secret: only each key\'s display prefix. Needs a signed-in user (Bearer).',
    },
  })
  .output(apiKeysResponse)
  .query(async ({ ctx }) => {
    const rows = await listApiKeys(ctx.deps.db, ctx.caller.organization.id);
    return {
      apiKeys: rows.map((row) => ({
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        createdBy: row.userId,
        createdAt: row.createdAt.toISOString(),
        lastUsedAt: iso(row.lastUsedAt),
        expiresAt: iso(row.expiresAt),
        revokedAt: iso(row.revokedAt),
      })),
    };
  });
