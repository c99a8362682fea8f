import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount, uniqueEmail, type Account } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

const ORGANIZATION = { name: 'Hardening Org', type: 'enterprise', size: '11-50', primaryUse: 'support' } as const;
const ALLOWED_ORIGIN = 'https://app.example';
const FOREIGN_ORIGIN = 'https://evil.example';

/** POST a tRPC mutation over raw HTTP (no transformer: the body is the input itself). */
function rpc(gate: Gatehouse, procedure: string, input: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return httpPost(`${gate.url}/trpc/${procedure}`, input, headers);
}

function expectNoStore(result: HttpResult, what: string): void {
  expect(result.headers.get('cache-control'), `Cache-Control of ${what}`).toBe('no-store');
}

async function sessionIpAddresses(gate: Gatehouse, account: Account): Promise<Array<string | null>> {
  const listed = await gate.post('/auth/sessions', undefined, account.bearer);
  expectStatus(listed, 200);
  return listed.body.sessions.map((session: { ipAddress: string | null }) => session.ipAddress);
}

describe('HTTP hardening', () => {
  let plain: Gatehouse;
  let behindProxy: Gatehouse;
  let behindListedProxy: Gatehouse;
  beforeAll(async () => {
    [plain, behindProxy, behindListedProxy] = await Promise.all([
      startGatehouse(),
      startGatehouse({ config: { corsOrigins: [ALLOWED_ORIGIN], trustProxy: 1 } }),
      startGatehouse({ config: { trustProxy: ['127.0.0.1'] } }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([plain?.close(), behindProxy?.close(), behindListedProxy?.close()]);
  }, 60_000);

  describe('security headers', () => {
    it('are sent by helmet on every kind of response, and Express does not announce itself', async () => {
      const responses: Array<[string, Response | HttpResult]> = [
        ['GET /health', await fetch(`${plain.url}/health`)],
        ['GET /openapi.json', await fetch(`${plain.url}/openapi.json`)],
        ['REST 401', await plain.post('/auth/sessions')],
        ['REST 400', await plain.post('/auth/login', '{not json')],
        ['tRPC 401', await rpc(plain, 'auth.me', {})],
        ['unknown path 404', await fetch(`${plain.url}/nowhere`)],
      ];
      for (const [what, response] of responses) {
        const headers = response.headers;
        expect(headers.get('x-content-type-options'), what).toBe('nosniff');
        expect(headers.get('strict-transport-security'), what).toMatch(/max-age=\d{7,}/);
        expect(headers.get('x-frame-options'), what).toBe('SAMEORIGIN');
        expect(headers.get('content-security-policy'), what).toContain("default-src 'self'");
        expect(headers.get('referrer-policy'), what).toBe('no-referrer');
        expect(headers.get('cross-origin-opener-policy'), what).toBe('same-origin');
        expect(headers.get('x-powered-by'), what).toBeNull();
      }
    });
  });

  describe('Cache-Control: no-store', () => {
    it('is on every REST response that carries a token or a key, and on its refusals', async () => {
      const email = uniqueEmail('nostore');
      const password = 'a long enough passphrase';
      const registered = await plain.post('/auth/register', { email, password, organization: ORGANIZATION });
      expectStatus(registered, 201);
      expectNoStore(registered, 'register');

      const loggedIn = await plain.post('/auth/login', { email, password });
      expectStatus(loggedIn, 200);
      expectNoStore(loggedIn, 'login');

      const refreshed = await plain.post('/auth/refresh', { refresh_token: loggedIn.body.refresh_token });
      expectStatus(refreshed, 200);
      expectNoStore(refreshed, 'refresh');

      const bearer = { authorization: `Bearer ${refreshed.body.access_token}` };
      const key = await plain.post('/auth/api-keys/create', { name: 'no-store' }, bearer);
      expectStatus(key, 201);
      expect(key.body.key).toMatch(/^gk_/);
      expectNoStore(key, 'api-keys/create');

      // The seed's base URL (/api/auth/...) is the same facade with the same header.
      const viaApiPrefix = await plain.post('/api/auth/refresh', { refresh_token: refreshed.body.refresh_token });
      expectStatus(viaApiPrefix, 200);
      expectNoStore(viaApiPrefix, '/api/auth/refresh');

      const refused = await plain.post('/auth/login', { email, password: 'not the password' });
      expectStatus(refused, 401);
      expectNoStore(refused, 'a refused login');
    });

    it('is on every tRPC response that carries a token or a key', async () => {
      const email = uniqueEmail('nostore-rpc');
      const password = 'a long enough passphrase';
      const registered = await rpc(plain, 'auth.register', { email, password, organization: ORGANIZATION });
      expectStatus(registered, 200);
      expect(registered.body.result.data.refresh_token).toEqual(expect.any(String));
      expectNoStore(registered, 'auth.register');

      const loggedIn = await rpc(plain, 'auth.login', { email, password });
      expectStatus(loggedIn, 200);
      expectNoStore(loggedIn, 'auth.login');

      const refreshed = await rpc(plain, 'auth.refresh', { refresh_token: loggedIn.body.result.data.refresh_token });
      expectStatus(refreshed, 200);
      expectNoStore(refreshed, 'auth.refresh');

      const key = await rpc(
        plain,
        'apiKeys.create',
        { name: 'no-store rpc' },
        { authorization: `Bearer ${refreshed.body.result.data.access_token}` },
      );
      expectStatus(key, 200);
      expect(key.body.result.data.key).toMatch(/^gk_/);
      expectNoStore(key, 'apiKeys.create');
    });
  });

  describe('CORS', () => {
    const preflight = (gate: Gatehouse, origin: string) =>
      fetch(`${gate.url}/auth/login`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });

    it('answers an allowed origin on preflight and on the actual request, over REST and tRPC', async () => {
      const allowed = await preflight(behindProxy, ALLOWED_ORIGIN);
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      // Never a wildcard: an allow-list echoes exactly one origin.
      expect(allowed.headers.get('access-control-allow-origin')).not.toBe('*');

      const actual = await behindProxy.post('/auth/login', { email: uniqueEmail(), password: 'whatever it is' }, { origin: ALLOWED_ORIGIN });
      expectStatus(actual, 401);
      expect(actual.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(actual.headers.get('access-control-expose-headers')).toContain('Retry-After');
      expect(actual.headers.get('vary')).toContain('Origin');

      const rpcCall = await rpc(behindProxy, 'auth.me', {}, { origin: ALLOWED_ORIGIN });
      expect(rpcCall.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    });

    it('gives a foreign origin no Access-Control-Allow-Origin, on preflight or otherwise', async () => {
      const foreign = await preflight(behindProxy, FOREIGN_ORIGIN);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const actual = await behindProxy.post('/auth/login', { email: uniqueEmail(), password: 'whatever it is' }, { origin: FOREIGN_ORIGIN });
      expect(actual.headers.get('access-control-allow-origin')).toBeNull();
      // A look-alike of the allowed origin is foreign too.
      const lookalike = await preflight(behindProxy, `${ALLOWED_ORIGIN}.evil.example`);
      expect(lookalike.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows no origin at all when no allow-list is configured', async () => {
      const response = await preflight(plain, ALLOWED_ORIGIN);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const actual = await plain.post('/auth/login', { email: uniqueEmail(), password: 'whatever it is' }, { origin: ALLOWED_ORIGIN });
      expect(actual.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('body limit', () => {
    const oversized = JSON.stringify({ email: 'big@example.test', password: 'p'.repeat(101 * 1024) });

    it('refuses a body over 100 kB with 413 in JSON, over REST and tRPC', async () => {
      const rest = await plain.post('/auth/login', oversized);
      expectStatus(rest, 413);
      expect(rest.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

      const rpcCall = await rpc(plain, 'auth.login', oversized);
      expectStatus(rpcCall, 413);
      expect(JSON.stringify(rpcCall.body)).toContain('PAYLOAD_TOO_LARGE');
    });

    it('accepts a body just under the limit (it is the size that is refused, not the operation)', async () => {
      const justUnder = JSON.stringify({ email: 'big@example.test', password: 'p'.repeat(90 * 1024) });
      const rest = await plain.post('/auth/login', justUnder);
      expect(rest.status).not.toBe(413);
      expect(rest.status).toBeLessThan(500);
    });
  });

  describe('client addresses behind a proxy (TRUST_PROXY)', () => {
    const FORWARDED = { 'x-forwarded-for': '198.51.100.23, 203.0.113.7' };

    it('ignores X-Forwarded-For when no proxy is trusted (the default)', async () => {
      const account = await registerAccount(plain, { headers: FORWARDED });
      expect(await sessionIpAddresses(plain, account)).toEqual(['127.0.0.1']);
    });

    it('takes the address the trusted hop saw with TRUST_PROXY=1, not what the client wrote before it', async () => {
      const account = await registerAccount(behindProxy, { headers: FORWARDED });
      expect(await sessionIpAddresses(behindProxy, account)).toEqual(['203.0.113.7']);
    });

    it('takes the forwarded address when the proxy is in the TRUST_PROXY list', async () => {
      const account = await registerAccount(behindListedProxy, { headers: FORWARDED });
      expect(await sessionIpAddresses(behindListedProxy, account)).toEqual(['203.0.113.7']);
      const loggedIn = await behindListedProxy.post(
        '/auth/login',
        { email: account.email, password: account.password },
        { 'x-forwarded-for': '192.0.2.44' },
      );
      expectStatus(loggedIn, 200);
      expect((await sessionIpAddresses(behindListedProxy, account)).sort()).toEqual(['192.0.2.44', '203.0.113.7']);
    });
  });

  describe('no secret in a URL', () => {
    it('the API document takes no token, key or password in a query, path, or cookie parameter', async () => {
      const response = await fetch(`${plain.url}/openapi.json`);
      const document = (await response.json()) as {
        paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: any }>>;
      };
      const SECRET_LIKE = /token|key|password|secret|credential|auth/i;
      const offending: string[] = [];
      let operations = 0;
      for (const [path, item] of Object.entries(document.paths)) {
        if (SECRET_LIKE.test(path.replace(/^\/(api\/)?auth\//, '').replace(/api-keys/, ''))) {
          // Paths name operations (refresh, api-keys/create), never carry a value: no templating.
          expect(path, `path ${path}`).not.toMatch(/\{/);
        }
        for (const [method, operation] of Object.entries(item)) {
          if (method === 'parameters') continue;
          operations++;
          expect(method, `${method.toUpperCase()} ${path}`).toBe('post');
          for (const parameter of operation.parameters ?? []) {
            if (parameter.in !== 'header' && SECRET_LIKE.test(parameter.name)) {
              offending.push(`${path} ${parameter.in} ${parameter.name}`);
            }
          }
        }
        for (const parameter of (item as { parameters?: Array<{ name: string; in: string }> }).parameters ?? []) {
          if (parameter.in !== 'header' && SECRET_LIKE.test(parameter.name)) offending.push(`${path} ${parameter.in} ${parameter.name}`);
        }
      }
      expect(operations).toBeGreaterThanOrEqual(10);
      expect(offending).toEqual([]);

      // Where the secrets do travel: in JSON bodies.
      const refreshBody = document.paths['/auth/refresh']!.post!.requestBody.content['application/json'].schema;
      expect(JSON.stringify(refreshBody)).toContain('refresh_token');
      const loginBody = document.paths['/auth/login']!.post!.requestBody.content['application/json'].schema;
      expect(JSON.stringify(loginBody)).toContain('password');
    });

    it('a refresh token put in the query string is not accepted', async () => {
      const account = await registerAccount(plain);
      const viaQuery = await fetch(`${plain.url}/auth/refresh?refresh_token=${encodeURIComponent(account.refreshToken)}`, {
        method: 'POST',
      });
      expect(viaQuery.status).toBeGreaterThanOrEqual(400);
      expect(viaQuery.status).toBeLessThan(500);
      const viaGet = await fetch(`${plain.url}/auth/refresh?refresh_token=${encodeURIComponent(account.refreshToken)}`);
      expect(viaGet.status).toBe(404);
      // The token was not rotated by either: it still refreshes.
      expectStatus(await plain.post('/auth/refresh', { refresh_token: account.refreshToken }), 200);
    });
  });
});
