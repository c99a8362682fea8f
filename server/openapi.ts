import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { Access, Meta } from './trpc/init';
import { appRouter } from './trpc/root';

const SECURITY_SCHEMES = {
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An API key of the organization (gk_…); calls act as the user who created it.',
  },
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The access_token from /auth/login, /auth/register or /auth/refresh.',
  },
} as const;

// An empty requirement `{}` in the list means "no credential needed".
const SECURITY_BY_ACCESS: Record<Access, Array<Record<string, string[]>>> = {
  anonymous: [],
  optional: [{}, { apiKey: [] }, { bearerAuth: [] }],
  user: [{ apiKey: [] }, { bearerAuth: [] }],
  session: [{ bearerAuth: [] }],
};

/** Generated from the router, never written by hand: the REST face and its document cannot drift apart. */
export function buildOpenApiDocument(): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: 'Gatehouse',
    description:
      'Sessions, rotating refresh tokens and API keys, scoped to an organization. Every operation is ' +
      'also a typed tRPC procedure at /trpc.',
    version: '0.1.0',
    baseUrl: '/',
    securitySchemes: { ...SECURITY_SCHEMES },
    tags: ['auth', 'api-keys'],
  });

  // `_def.procedures` is flat at run time: { 'auth.refresh': procedure, ... }.
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>;
  for (const procedure of Object.values(procedures)) {
    const meta = procedure._def.meta;
    if (!meta?.openapi) continue;
    const operation = document.paths?.[meta.openapi.path]?.[meta.openapi.method.toLowerCase() as 'post'];
    if (operation) operation.security = SECURITY_BY_ACCESS[meta.access ?? 'user'];
  }
  return document;
}
