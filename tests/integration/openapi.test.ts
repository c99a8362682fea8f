import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('GET /openapi.json and /docs', () => {
  let gate: Gatehouse;
  let document: any;
  beforeAll(async () => {
    gate = await startGatehouse();
    document = await (await fetch(`${gate.url}/openapi.json`)).json();
  });
  afterAll(() => gate?.close());

  it('documents every operation as POST, from the router', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/auth/api-keys',
        '/auth/api-keys/create',
        '/auth/api-keys/revoke',
        '/auth/audit-events',
        '/auth/change-password',
        '/auth/introspect',
        '/auth/login',
        '/auth/logout',
        '/auth/logout-all',
        '/auth/me',
        '/auth/reauthenticate',
        '/auth/refresh',
        '/auth/register',
        '/auth/revoke-other-sessions',
        '/auth/revoke-session',
        '/auth/sessions',
        '/auth/webhooks',
        '/auth/webhooks/create',
        '/auth/webhooks/delete',
        '/auth/webhooks/deliveries',
      ].sort(),
    );
    for (const operations of Object.values(document.paths) as object[]) expect(Object.keys(operations)).toEqual(['post']);
  });

  it('states which credential each operation takes', () => {
    const security = (path: string) => document.paths[path].post.security;
    expect(security('/auth/register')).toEqual([]);
    expect(security('/auth/login')).toEqual([]);
    expect(security('/auth/refresh')).toEqual([{}, { apiKey: [] }, { bearerAuth: [] }]);
    expect(security('/auth/sessions')).toEqual([{ apiKey: [] }, { bearerAuth: [] }]);
    expect(security('/auth/api-keys/create')).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
  });

  it('keeps the seed field names and the organization enums exactly', () => {
    const text = JSON.stringify(document);
    expect(text).toContain('"market research"');
    expect(text).toContain('"500+"');
    expect(document.paths['/auth/refresh'].post.summary).toBe('Refresh access token using refresh token');
  });

  it('serves a Swagger UI page at /docs', async () => {
    const response = await fetch(`${gate.url}/docs/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger-ui');
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(`${gate.url}/health`)).status).toBe(200);
    const ready = await fetch(`${gate.url}/ready`);
    expect(ready.status).toBe(200);
  });
});
