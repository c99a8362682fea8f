import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeJwt } from 'jose';
import createClient from 'openapi-fetch';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * A third party's view: nothing but /openapi.json. Types are generated from it with
 * openapi-typescript, and the API document's flow runs through openapi-fetch.
 */
describe('a REST client generated from /openapi.json', () => {
  let gate: Gatehouse;
  let generatedTypes: string;
  beforeAll(async () => {
    gate = await startGatehouse();
    const document = (await (await fetch(`${gate.url}/openapi.json`)).json()) as OpenAPI3;
    generatedTypes = astToString(await openapiTS(document));
  });
  afterAll(() => gate?.close());

  it('generates types that describe the operations, and they typecheck in use', () => {
    expect(generatedTypes).toContain('"/auth/revoke-session"');
    expect(generatedTypes).toContain('authRevokeSession');
    expect(generatedTypes).toMatch(/reason\?: "authentication_required" \|/);

    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'));
    try {
      writeFileSync(join(dir, 'schema.d.ts'), generatedTypes);
      writeFileSync(
        join(dir, 'usage.ts'),
        `import createClient from 'openapi-fetch';
import type { paths, components } from './schema';
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000', headers: { 'x-api-key': 'gk_…' } });
export async function flow() {
  const { data } = await client.POST('/auth/sessions');
  const userAgent: string | null | undefined = data?.sessions[0]?.userAgent;
  const refreshed = await client.POST('/auth/refresh', { body: { refresh_token: 'r' } });
  const accessToken: string | undefined = refreshed.data?.access_token;
  const revoked = await client.POST('/auth/revoke-session', { body: { sessionId: '550e8400-e29b-41d4-a716-446655440000' } });
  const reason: components['schemas']['ErrorResponse']['reason'] = revoked.error?.reason;
  // @ts-expect-error the body is required and typed
  await client.POST('/auth/logout', { body: { token: 'r' } });
  return [userAgent, accessToken, reason];
}
`,
      );
      const openapiFetchDir = dirname(createRequire(import.meta.url).resolve('openapi-fetch'));
      const program = ts.createProgram([join(dir, 'usage.ts')], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
        types: [],
        paths: { 'openapi-fetch': [join(openapiFetchDir, 'index.d.mts')] },
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the API document's flow: sessions, refresh, revoke-session, logout, logout-all", async () => {
    // Only an account and a key come from the fixtures; everything after goes through the generated client.
    const account = await registerAccount(gate);
    const apiKey = await createApiKey(gate, account);
    const client = createClient<any>({ baseUrl: gate.url, headers: { 'x-api-key': apiKey } });
    const post = async (path: string, body?: unknown) => {
      const result = await client.POST(path, body === undefined ? {} : { body });
      return { status: result.response.status, data: result.data as any, error: result.error as any };
    };

    const second = await post('/auth/login', { email: account.email, password: account.password });
    expect(second.status).toBe(200);

    const listed = await post('/auth/sessions');
    expect(listed.status).toBe(200);
    expect(listed.data.sessions).toHaveLength(2);
    for (const session of listed.data.sessions) {
      expect(Object.keys(session)).toEqual(expect.arrayContaining(['id', 'userAgent', 'lastAccessedAt', 'createdAt']));
    }

    const refreshed = await post('/auth/refresh', { refresh_token: account.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String) });

    const secondSessionId = listed.data.sessions.find(
      (session: { id: string }) => session.id !== sessionIdOf(account.accessToken),
    ).id;
    const revoked = await post('/auth/revoke-session', { sessionId: secondSessionId });
    expect(revoked).toMatchObject({ status: 200, data: { message: 'Session revoked successfully' } });
    expect((await post('/auth/sessions')).data.sessions).toHaveLength(1);

    const loggedOut = await post('/auth/logout', { refresh_token: refreshed.data.refresh_token });
    expect(loggedOut).toMatchObject({ status: 200, data: { message: 'Logged out successfully' } });
    expect((await post('/auth/sessions')).data.sessions).toHaveLength(0);

    const third = await post('/auth/login', { email: account.email, password: account.password });
    expect(third.status).toBe(200);
    const all = await post('/auth/logout-all');
    expect(all).toMatchObject({ status: 200, data: { message: 'All sessions logged out successfully' } });
    expect((await post('/auth/sessions')).data.sessions).toHaveLength(0);
  });

  it('errors arrive as the documented ErrorResponse body', async () => {
    const account = await registerAccount(gate);
    const apiKey = await createApiKey(gate, account);
    const client = createClient<any>({ baseUrl: gate.url, headers: { 'x-api-key': apiKey } });

    const notUuid = await client.POST('/auth/revoke-session', { body: { sessionId: 'not-a-uuid' } });
    expect(notUuid.response.status).toBe(400);
    expect(notUuid.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.any(String), issues: expect.any(Array) });

    const unknown = await client.POST('/auth/revoke-session', { body: { sessionId: '550e8400-e29b-41d4-a716-446655440000' } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toEqual({ code: 'NOT_FOUND', message: 'Session not found', reason: 'session_not_found' });

    const neverIssued = await client.POST('/auth/refresh', { body: { refresh_token: 'never-issued' } });
    expect(neverIssued.response.status).toBe(401);
    expect(neverIssued.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'invalid_refresh_token' });
  });
});

/** The `sid` claim of an access token (read, not verified: the server verified it when it issued it). */
function sessionIdOf(accessToken: string): string {
  return decodeJwt(accessToken).sid as string;
}
