import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { readSeedExamples, type SeedExample } from '../helpers/seed-curls';

// The document's placeholders, replaced by real values of the same kind before sending.
const PLACEHOLDER_KEY = 'YOUR_API_KEY';
const PLACEHOLDER_REFRESH_TOKEN = 'dGhpcyBpcyBhIHJlZnJlc2ggdG9rZW4...';
const PLACEHOLDER_SESSION_ID = '550e8400-e29b-41d4-a716-446655440000';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Values {
  apiKey: string;
  refreshToken?: string;
  sessionId?: string;
}

/** Sends the request the way curl does: the document's method, headers and body bytes, plus curl's own headers. */
function sendLikeCurl(gate: Gatehouse, example: SeedExample, path: string, values: Values) {
  const fill = (value: string) =>
    value
      .replaceAll(PLACEHOLDER_KEY, values.apiKey)
      .replaceAll(PLACEHOLDER_REFRESH_TOKEN, values.refreshToken ?? PLACEHOLDER_REFRESH_TOKEN)
      .replaceAll(PLACEHOLDER_SESSION_ID, values.sessionId ?? PLACEHOLDER_SESSION_ID);
  const body = example.body === undefined ? undefined : Buffer.from(fill(example.body));
  const headers: Record<string, string> = { 'User-Agent': 'curl/8.5.0', Accept: '*/*' };
  for (const [name, value] of example.headers) headers[name] = fill(value);
  if (body) headers['Content-Length'] = String(body.length);
  const url = new URL(gate.url);
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: example.method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Same keys, same types; ISO dates where the document shows ISO dates. */
function expectSameShape(actual: unknown, documented: unknown, where = 'body'): void {
  if (Array.isArray(documented)) {
    expect(Array.isArray(actual), `${where} should be an array`).toBe(true);
    expect((actual as unknown[]).length, `${where} should not be empty`).toBeGreaterThan(0);
    for (const [index, item] of (actual as unknown[]).entries()) expectSameShape(item, documented[0], `${where}[${index}]`);
    return;
  }
  if (documented !== null && typeof documented === 'object') {
    expect(actual, `${where} should be an object`).toBeTypeOf('object');
    for (const [key, value] of Object.entries(documented)) {
      expect(actual, `${where} lacks ${key}`).toHaveProperty(key);
      expectSameShape((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
    }
    return;
  }
  if (typeof documented === 'string' && ISO_DATE.test(documented)) {
    expect(actual, `${where} should be an ISO date`).toMatch(ISO_DATE);
    return;
  }
  expect(typeof actual, `${where} type`).toBe(typeof documented);
}

const examples = readSeedExamples();
const byPath = (suffix: string) => {
  const example = examples.find((candidate) => candidate.path.endsWith(suffix));
  if (!example) throw new Error(`the API document has no example for ${suffix}`);
  return example;
};

describe('the API document’s curl examples, replayed as written', () => {
  let gate: Gatehouse;
  let owner: Account;
  let apiKey: string;

  beforeAll(async () => {
    gate = await startGatehouse();
    owner = await registerAccount(gate);
    apiKey = await createApiKey(gate, owner);
  });
  afterAll(() => gate?.close());

  it('finds the five documented operations in the document', () => {
    expect(examples.map((example) => example.path)).toEqual([
      '/api/auth/refresh',
      '/api/auth/logout',
      '/api/auth/logout-all',
      '/api/auth/sessions',
      '/api/auth/revoke-session',
    ]);
    expect(examples.every((example) => example.method === 'POST')).toBe(true);
  });

  // The document's base URL ends in /api; /auth is the same facade without it.
  for (const prefix of ['/api', '']) {
    const pathOf = (example: SeedExample) => example.path.replace(/^\/api/, prefix);

    describe(`at ${prefix || '(no prefix)'}/auth`, () => {
      it('refresh: answers a new token pair', async () => {
        const example = byPath('/refresh');
        const session = await login(gate, owner);
        const result = await sendLikeCurl(gate, example, pathOf(example), { apiKey, refreshToken: session.refreshToken });
        expectStatus(result as never, 200);
        expectSameShape(result.body, example.response);
        expect(Object.keys(result.body as object).sort()).toEqual(['access_token', 'refresh_token']);
        expect((result.body as { refresh_token: string }).refresh_token).not.toBe(session.refreshToken);
      });

      it('logout: answers the documented message and ends the session', async () => {
        const example = byPath('/logout');
        const session = await login(gate, owner);
        const result = await sendLikeCurl(gate, example, pathOf(example), { apiKey, refreshToken: session.refreshToken });
        expectStatus(result as never, 200);
        expect(result.body).toEqual(example.response);
        expectStatus(await gate.post('/auth/sessions', undefined, session.bearer), 401);
      });

      it('sessions: with no body and no Content-Type, lists the active sessions', async () => {
        const example = byPath('/sessions');
        expect(example.body).toBeUndefined();
        await login(gate, owner, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)');
        const result = await sendLikeCurl(gate, example, pathOf(example), { apiKey });
        expectStatus(result as never, 200);
        expectSameShape(result.body, example.response);
        const sessions = (result.body as { sessions: Array<{ userAgent: string | null }> }).sessions;
        expect(sessions.map((session) => session.userAgent)).toContain('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)');
      });

      it('revoke-session: answers the documented message and ends that session', async () => {
        const example = byPath('/revoke-session');
        const session = await login(gate, owner);
        const listed = await gate.post('/auth/sessions', undefined, session.bearer);
        const current = listed.body.sessions.find((entry: { current: boolean }) => entry.current);
        const result = await sendLikeCurl(gate, example, pathOf(example), { apiKey, sessionId: current.id });
        expectStatus(result as never, 200);
        expect(result.body).toEqual(example.response);
        expectStatus(await gate.post('/auth/refresh', { refresh_token: session.refreshToken }), 401);
      });

      it('logout-all: with no body and no Content-Type, ends every session of the user', async () => {
        const example = byPath('/logout-all');
        expect(example.body).toBeUndefined();
        const session = await login(gate, owner);
        const result = await sendLikeCurl(gate, example, pathOf(example), { apiKey });
        expectStatus(result as never, 200);
        expect(result.body).toEqual(example.response);
        const after = await sendLikeCurl(gate, byPath('/sessions'), pathOf(byPath('/sessions')), { apiKey });
        expect(after.body).toEqual({ sessions: [] });
        expectStatus(await gate.post('/auth/refresh', { refresh_token: session.refreshToken }), 401);
      });
    });
  }
});
