import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ERROR_REASONS, type ErrorCode } from './errors';
import type { Access, Meta } from './trpc/init';
import { appRouter, CREATED_PROCEDURES, procedureMetas } from './trpc/root';

type Operation = NonNullable<NonNullable<OpenAPIObject['paths']>[string]['post']>;
type Json = Record<string, unknown>;

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

const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: 'Sign-up, sign-in, rotating refresh tokens, and the sessions of the calling user.',
  'api-keys': "The organization's API keys, for integrations. Managed by a signed-in user (Bearer).",
  webhooks: "The organization's webhook endpoints: signed events (Standard Webhooks) about sessions, keys and the organization.",
};

/** The API document's own examples, verbatim, on the five operations it documents. */
const SEED_REFRESH_TOKEN = { refresh_token: 'dGhpcyBpcyBhIHJlZnJlc2ggdG9rZW4...' };
const SEED_EXAMPLES: Record<string, { request?: Json; response: Json }> = {
  'auth.refresh': {
    request: SEED_REFRESH_TOKEN,
    response: { access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...', refresh_token: 'bmV3IHJlZnJlc2ggdG9rZW4...' },
  },
  'auth.logout': { request: SEED_REFRESH_TOKEN, response: { message: 'Logged out successfully' } },
  'auth.logoutAll': { response: { message: 'All sessions logged out successfully' } },
  'auth.sessions': {
    response: {
      sessions: [
        {
          id: '550e8400-e29b-41d4-a716-446655440000',
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)',
          lastAccessedAt: '2025-01-15T10:30:00.000Z',
          createdAt: '2025-01-10T08:00:00.000Z',
          // Additive fields Gatehouse returns beside the document's four (device: what that user agent tells).
          ipAddress: '203.0.113.7',
          current: false,
          device: { browser: null, browserVersion: null, os: 'macOS', osVersion: '10.15.7', type: 'desktop' },
        },
      ],
    },
  },
  'auth.revokeSession': {
    request: { sessionId: '550e8400-e29b-41d4-a716-446655440000' },
    response: { message: 'Session revoked successfully' },
  },
};

/** One error body for every refusal; `reason` lists ERROR_REASONS, so a new reason is documented as it is added. */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['message', 'code'],
  properties: {
    message: { type: 'string', description: 'For people; may change. Never carries internals.' },
    code: {
      type: 'string',
      description: 'The class of error, as tRPC names it (BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, ...).',
      example: 'UNAUTHORIZED',
    },
    reason: {
      type: 'string',
      enum: Object.keys(ERROR_REASONS),
      description: 'The stable, machine-readable cause, when there is one. Branch on this, not on `message`.',
    },
    issues: {
      type: 'array',
      description: 'What is wrong with the input, one entry per problem (validation errors only).',
      items: {
        type: 'object',
        required: ['message'],
        properties: {
          message: { type: 'string' },
          code: { type: 'string' },
          path: { type: 'array', items: { type: ['string', 'number'] } },
        },
      },
    },
  },
} as const;

const ERROR_RESPONSES: Record<number, { name: string; code: ErrorCode; description: string; generic: Json[] }> = {
  400: {
    name: 'BadRequest',
    code: 'BAD_REQUEST',
    description: 'Invalid input: the body is not valid JSON, or `issues` lists what does not match the schema',
    generic: [
      {
        message: 'Input validation failed',
        code: 'BAD_REQUEST',
        issues: [{ code: 'invalid_type', path: ['refresh_token'], message: 'Invalid input: expected string, received undefined' }],
      },
      { message: 'Request body is not valid JSON', code: 'PARSE_ERROR' },
    ],
  },
  401: { name: 'Unauthorized', code: 'UNAUTHORIZED', description: 'A credential is missing, invalid, revoked or expired', generic: [] },
  403: {
    name: 'Forbidden',
    code: 'FORBIDDEN',
    description:
      'Not allowed: the organization is suspended or inactive, this needs a signed-in user, or a fresh session (reauthentication_required)',
    generic: [],
  },
  404: { name: 'NotFound', code: 'NOT_FOUND', description: 'No such resource for this caller', generic: [] },
  409: { name: 'Conflict', code: 'CONFLICT', description: 'Conflicts with existing data', generic: [] },
  413: {
    name: 'PayloadTooLarge',
    code: 'PAYLOAD_TOO_LARGE',
    description: 'The body is larger than 100 kB',
    generic: [{ message: 'Request body is larger than 100 kB', code: 'PAYLOAD_TOO_LARGE' }],
  },
  429: {
    name: 'TooManyRequests',
    code: 'TOO_MANY_REQUESTS',
    description: 'Too many requests; retry later',
    generic: [{ message: 'Too many requests', code: 'TOO_MANY_REQUESTS' }],
  },
  500: {
    name: 'InternalServerError',
    code: 'INTERNAL_SERVER_ERROR',
    description: 'Unexpected failure; the body says nothing about internals',
    generic: [{ message: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' }],
  },
  503: {
    name: 'ServiceUnavailable',
    code: 'SERVICE_UNAVAILABLE',
    description: 'The database is unavailable or the server is busy: retry after the seconds in Retry-After',
    generic: [],
  },
};

/** Every operation can meet these; others (404, 409) only where the procedure's meta lists them. */
const COMMON_ERROR_STATUSES = [400, 401, 403, 413, 429, 500, 503];

function errorResponse(status: number) {
  const { code, description, generic } = ERROR_RESPONSES[status]!;
  const examples: Record<string, { summary: string; value: Json }> = {};
  for (const [reason, { code: reasonCode, message }] of Object.entries(ERROR_REASONS)) {
    if (reasonCode === code) examples[reason] = { summary: message, value: { message, code, reason } };
  }
  generic.forEach((value, index) => {
    examples[`${code.toLowerCase()}_${index + 1}`] = { summary: String(value.message), value };
  });
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' }, examples } },
  };
}

/** `auth.revokeSession` -> `authRevokeSession`: stable, unique, and the same name as in tRPC. */
function defaultOperationId(procedurePath: string): string {
  return procedurePath.replace(/[.-](\w)/g, (_, letter: string) => letter.toUpperCase());
}

/** Generated from the router, never written by hand: the REST face and its document cannot drift apart. */
export function buildOpenApiDocument(): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: 'Gatehouse',
    description:
      'Sessions, rotating refresh tokens and API keys, scoped to an organization. Every operation is ' +
      'also a typed tRPC procedure at /trpc. Errors share one body, `ErrorResponse`: branch on its `reason`.',
    version: '0.1.0',
    baseUrl: '/',
    securitySchemes: { ...SECURITY_SCHEMES },
  });
  document.servers = [{ url: '/', description: 'This Gatehouse (the REST facade also answers under /api)' }];

  // The generator's per-status error schemas are replaced by one shared body and shared responses.
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {}) as Json;
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  schemas.ErrorResponse = ERROR_SCHEMA;
  const sharedResponses = (components.responses ??= {}) as Json;

  const usedTags = new Set<string>();
  for (const [procedurePath, meta] of procedureMetas()) {
    if (!meta?.openapi) continue;
    const operation = document.paths?.[meta.openapi.path]?.[meta.openapi.method.toLowerCase() as 'post'];
    if (!operation) continue;
    operation.operationId = meta.openapi.operationId ?? defaultOperationId(procedurePath);
    operation.security = SECURITY_BY_ACCESS[meta.access ?? 'user'];
    for (const tag of operation.tags ?? []) usedTags.add(tag);
    documentResponses(operation, procedurePath, meta, sharedResponses);
    addSeedExamples(operation, SEED_EXAMPLES[procedurePath]);
  }
  document.tags = [...usedTags].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name }));
  return document;
}

function documentResponses(operation: Operation, procedurePath: string, meta: Meta, shared: Json): void {
  const success = operation.responses?.['200'];
  const responses: Operation['responses'] = {};
  if (success) responses[CREATED_PROCEDURES.has(procedurePath) ? '201' : '200'] = success;
  const declared = meta.openapi?.errorResponses;
  const described: Record<number, string> = Array.isArray(declared) ? {} : { ...declared };
  const statuses = new Set([...COMMON_ERROR_STATUSES, ...(Array.isArray(declared) ? declared : Object.keys(described).map(Number))]);
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const name = ERROR_RESPONSES[status]?.name;
    if (!name) continue;
    // A description of the procedure's own is more precise than the shared one.
    if (described[status]) {
      responses[String(status)] = { ...errorResponse(status), description: described[status] };
    } else {
      shared[name] ??= errorResponse(status);
      responses[String(status)] = { $ref: `#/components/responses/${name}` };
    }
  }
  operation.responses = responses;
}

function addSeedExamples(operation: Operation, seed: { request?: Json; response: Json } | undefined): void {
  if (!seed) return;
  const example = (value: Json) => ({ apiDocument: { summary: 'As in the API document', value } });
  const requestBody = operation.requestBody as { content?: Record<string, Json> } | undefined;
  const requestMedia = requestBody?.content?.['application/json'];
  if (seed.request && requestMedia) requestMedia.examples = example(seed.request);
  const success = operation.responses?.['200'] as { content?: Record<string, Json> } | undefined;
  const responseMedia = success?.content?.['application/json'];
  if (responseMedia) responseMedia.examples = example(seed.response);
}
