import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { httpPost, startGatehouse, TEST_JWT_SECRET, type Gatehouse, type HttpResult } from '../helpers/harness';

/**
 * JWT hardening (RFC 8725): every token below is refused with 401 and the usual error body.
 * Forged tokens start from a real access token issued by Gatehouse and change one thing at
 * a time, so each test proves that exactly that one thing is checked. The control test
 * re-signs the same claims with no change and must be accepted: without it, a forging
 * helper that produced garbage would make every refusal test pass for the wrong reason.
 *
 * These forge with the server secret, so they run with ACCESS_TOKEN_ALGORITHM=HS256; the
 * published-key algorithms have their own tests (jwt-signing-keys.security.test.ts).
 */

const SERVER_KEY = new TextEncoder().encode(TEST_JWT_SECRET);
const ATTACKER_SECRET = 'attacker-secret-that-is-also-long-enough-for-hs256-!!';

type Header = Record<string, unknown>;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Hand-made HS256 JWS, for the headers jose refuses to sign (unknown `crit`) and for the
 * unsigned and tampered variants: full control over every byte of header and payload.
 */
function rawHs256(header: Header, payload: JWTPayload, secret: string | Uint8Array = TEST_JWT_SECRET): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Re-signs claims with jose, by default exactly as Gatehouse signs them. */
function resign(
  claims: JWTPayload,
  { header = {}, key = SERVER_KEY }: { header?: Header; key?: Parameters<SignJWT['sign']>[0] } = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...header } as never).sign(key);
}

const PROTECTED_OPERATIONS = ['/auth/me', '/auth/sessions'] as const;

describe('access tokens that must be refused (RFC 8725)', () => {
  let gate: Gatehouse;
  let alice: Account;
  let bob: Account;

  beforeAll(async () => {
    gate = await startGatehouse({ config: { accessTokenAlgorithm: 'HS256' } });
    alice = await registerAccount(gate);
    bob = await registerAccount(gate);
  });
  afterAll(() => gate?.close());

  /** A new live session of Alice's, and the claims of its access token as Gatehouse signed them. */
  const freshAlice = async () => {
    const session = await login(gate, alice);
    return { session, claims: decodeJwt(session.accessToken) };
  };

  const call = (path: string, token: string) => gate.post(path, undefined, { authorization: `Bearer ${token}` });

  const expectUnauthorized = (result: HttpResult, reasons: readonly string[]) => {
    expectStatus(result, 401);
    expect(result.body, JSON.stringify(result.body)).toEqual({
      message: expect.any(String),
      code: 'UNAUTHORIZED',
      reason: expect.any(String),
    });
    expect(reasons, `reason ${result.body.reason}`).toContain(result.body.reason);
  };

  /** The token is refused on every protected operation, over REST and over tRPC. */
  const expectRefused = async (token: string, reasons: readonly string[] = ['invalid_access_token']) => {
    for (const path of PROTECTED_OPERATIONS) expectUnauthorized(await call(path, token), reasons);
    const rpc = await fetch(`${gate.url}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } });
    const rpcBody = (await rpc.json()) as { error?: { data?: { reason?: string } } };
    expect(rpc.status, JSON.stringify(rpcBody)).toBe(401);
    expect(reasons).toContain(rpcBody.error?.data?.reason);
  };

  it('control: the forging code, changing nothing, makes a token Gatehouse accepts', async () => {
    const { claims } = await freshAlice();
    const viaJose = await resign(claims);
    const viaRaw = rawHs256({ alg: 'HS256', typ: 'at+jwt' }, claims);
    for (const token of [viaJose, viaRaw]) {
      for (const path of PROTECTED_OPERATIONS) expectStatus(await call(path, token), 200);
    }
    const me = await call('/auth/me', viaJose);
    expect(me.body.user.id).toBe(claims.sub);
  });

  describe('algorithm', () => {
    it('alg "none", unsigned: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(`${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claims)}.`);
      // Spelling variants some libraries once accepted.
      await expectRefused(`${base64url({ alg: 'None', typ: 'at+jwt' })}.${base64url(claims)}.`);
      await expectRefused(`${base64url({ alg: 'none' })}.${base64url(claims)}.`);
    });

    it('alg "none" carrying the original HS256 signature: 401', async () => {
      const { session, claims } = await freshAlice();
      const signature = session.accessToken.split('.')[2];
      await expectRefused(`${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claims)}.${signature}`);
    });

    it('HS512 with the same secret: 401 (the algorithm is pinned, not read from the token)', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign(claims, { header: { alg: 'HS512' } }));
    });

    it('HS384 with the same secret: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign(claims, { header: { alg: 'HS384' } }));
    });

    it('RS256 with a key pair of the attacker: 401', async () => {
      const { claims } = await freshAlice();
      const { privateKey } = await generateKeyPair('RS256');
      await expectRefused(await resign(claims, { header: { alg: 'RS256' }, key: privateKey }));
    });

    it('ES256 with a key pair of the attacker: 401', async () => {
      const { claims } = await freshAlice();
      const { privateKey } = await generateKeyPair('ES256');
      await expectRefused(await resign(claims, { header: { alg: 'ES256' }, key: privateKey }));
    });
  });

  describe('key', () => {
    it('HS256 with another secret: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign(claims, { key: new TextEncoder().encode(ATTACKER_SECRET) }));
    });

    it('HS256 with an empty key: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt' }, claims, ''));
    });
  });

  describe('claims', () => {
    it('a wrong issuer: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign({ ...claims, iss: 'someone-else' }));
    });

    it('no issuer: 401', async () => {
      const { claims } = await freshAlice();
      const { iss: _dropped, ...withoutIssuer } = claims;
      await expectRefused(await resign(withoutIssuer));
    });

    it('a wrong audience: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign({ ...claims, aud: 'another-service' }));
    });

    it('no audience: 401', async () => {
      const { claims } = await freshAlice();
      const { aud: _dropped, ...withoutAudience } = claims;
      await expectRefused(await resign(withoutAudience));
    });

    it('an exp in the past, signed with the right key: 401 access_token_expired', async () => {
      const { claims } = await freshAlice();
      const now = Math.floor(gate.clock.now().getTime() / 1000);
      await expectRefused(await resign({ ...claims, iat: now - 3600, exp: now - 60 }), ['access_token_expired']);
    });

    it('no exp at all, signed with the right key: 401 (a token that never expires is not one Gatehouse issued)', async () => {
      const { claims } = await freshAlice();
      const { exp: _dropped, ...withoutExpiry } = claims;
      await expectRefused(await resign(withoutExpiry));
    });

    it('a sid that is a live session of another user (sub mismatch): 401', async () => {
      const { claims } = await freshAlice();
      const bobSession = decodeJwt((await login(gate, bob)).accessToken);
      // Alice's sub, org and everything else; only the session is Bob's.
      await expectRefused(await resign({ ...claims, sid: bobSession.sid }), ['invalid_access_token', 'session_revoked']);
    });

    it("a real live session of the user, with another organization's id in org: 401", async () => {
      const { claims } = await freshAlice();
      const bobOrganization = decodeJwt(bob.accessToken).org;
      expect(bobOrganization).not.toBe(claims.org);
      await expectRefused(await resign({ ...claims, org: bobOrganization }), ['invalid_access_token', 'session_revoked']);
    });

    it('a sid that is no session at all: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign({ ...claims, sid: '550e8400-e29b-41d4-a716-446655440000' }), [
        'invalid_access_token',
        'session_revoked',
      ]);
    });
  });

  describe('token type', () => {
    it('typ "JWT" instead of "at+jwt", otherwise valid and of a live session: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(await resign(claims, { header: { typ: 'JWT' } }));
    });

    it('no typ at all, otherwise valid and of a live session: 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(rawHs256({ alg: 'HS256' }, claims));
    });
  });

  describe('key-selection and extension headers', () => {
    it('an embedded jwk: the attacker signs with their own key pair and ships the public key: 401', async () => {
      const { claims } = await freshAlice();
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwk = await exportJWK(publicKey);
      await expectRefused(await resign(claims, { header: { alg: 'RS256', jwk }, key: privateKey }));
    });

    it('an embedded symmetric jwk holding the secret the attacker signed with: 401', async () => {
      const { claims } = await freshAlice();
      const jwk = { kty: 'oct', k: Buffer.from(ATTACKER_SECRET).toString('base64url') };
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', jwk }, claims, ATTACKER_SECRET));
    });

    it("a jku pointing to the attacker's key set: 401", async () => {
      const { claims } = await freshAlice();
      const { privateKey } = await generateKeyPair('RS256');
      const keySet = { jku: 'https://attacker.example/.well-known/jwks.json', kid: 'attacker' };
      await expectRefused(await resign(claims, { header: { alg: 'RS256', ...keySet }, key: privateKey }));
      // The same header on an HS256 token signed with the attacker's secret.
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', ...keySet }, claims, ATTACKER_SECRET));
    });

    it('a kid pointing nowhere (path traversal to an empty file, signed with an empty key): 401', async () => {
      const { claims } = await freshAlice();
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', kid: '../../../../../../dev/null' }, claims, ''));
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', kid: 'no-such-key' }, claims, ATTACKER_SECRET));
    });

    it('a crit header naming an extension Gatehouse does not understand, signed with the right key: 401 (RFC 7515 4.1.11)', async () => {
      const { claims } = await freshAlice();
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', crit: ['x-gatehouse-policy'], 'x-gatehouse-policy': 1 }, claims));
      // crit naming a parameter that is absent is malformed as well.
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', crit: ['x-missing'] }, claims));
    });
  });

  describe('any header parameter but alg, typ and kid, on a token otherwise valid and signed with the right key', () => {
    it('control: alg, typ and a kid, signed with the right key, is accepted', async () => {
      const { claims } = await freshAlice();
      for (const path of PROTECTED_OPERATIONS) {
        expectStatus(await call(path, rawHs256({ alg: 'HS256', typ: 'at+jwt', kid: 'any' }, claims)), 200);
      }
    });

    const attackerJwk = { kty: 'oct', k: Buffer.from(ATTACKER_SECRET).toString('base64url') };
    // One case per parameter: a verifier that honoured any of them could be steered to another key or payload.
    const extraHeaders: Array<[string, unknown]> = [
      ['jwk', attackerJwk],
      ['jku', 'https://attacker.example/.well-known/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['x5c', ['MIIBszCCAVmgAwIBAgIUV']],
      ['x5t', 'dGh1bWJwcmludA'],
      ['x5t#S256', 'dGh1bWJwcmludC1zMjU2'],
      ['cty', 'JWT'],
      ['b64', true],
      ['b64', false],
      ['crit', ['exp']],
      ['zip', 'DEF'],
      ['enc', 'A256GCM'],
      ['epk', { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }],
      ['url', 'https://attacker.example/'],
      ['nonce', 'n-0S6_WzA2Mj'],
      ['ALG', 'none'],
      ['x-gatehouse-role', 'admin'],
    ];
    it.each(extraHeaders)('%s (%j): 401', async (name, value) => {
      const { claims } = await freshAlice();
      await expectRefused(rawHs256({ alg: 'HS256', typ: 'at+jwt', [name]: value }, claims));
    });

    it('__proto__, which a merge of headers into an object would swallow: 401', async () => {
      const { claims } = await freshAlice();
      const header = Buffer.from('{"alg":"HS256","typ":"at+jwt","__proto__":{"kid":"x"}}').toString('base64url');
      const signingInput = `${header}.${base64url(claims)}`;
      const signature = createHmac('sha256', TEST_JWT_SECRET).update(signingInput).digest('base64url');
      await expectRefused(`${signingInput}.${signature}`);
    });
  });

  describe('mangled tokens', () => {
    it('a truncated token: 401', async () => {
      const { session } = await freshAlice();
      const token = session.accessToken;
      const [header, payload] = token.split('.');
      for (const truncated of [token.slice(0, -5), token.slice(0, -1), `${header}.${payload}.`, `${header}.${payload}`, `${header}`]) {
        await expectRefused(truncated);
      }
    });

    it('a tampered payload with the original signature: 401', async () => {
      const { session, claims } = await freshAlice();
      const [header, , signature] = session.accessToken.split('.');
      expect(decodeProtectedHeader(session.accessToken)).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
      const farFuture = Math.floor(gate.clock.now().getTime() / 1000) + 365 * 24 * 3600;
      const bobClaims = decodeJwt(bob.accessToken);
      for (const changed of [
        { ...claims, exp: farFuture },
        { ...claims, sub: bobClaims.sub, sid: bobClaims.sid, org: bobClaims.org },
      ]) {
        await expectRefused(`${header}.${base64url(changed)}.${signature}`);
      }
    });

    it('the Bearer scheme with extra parts or an empty token: 401', async () => {
      const { session } = await freshAlice();
      for (const authorization of [`Bearer ${session.accessToken} extra`, 'Bearer ', `Bearer ${session.accessToken}.x`]) {
        for (const path of PROTECTED_OPERATIONS) {
          expectUnauthorized(await gate.post(path, undefined, { authorization }), ['invalid_access_token', 'authentication_required']);
        }
      }
    });
  });

  describe('expiry, on the server clock', () => {
    it('a real token works until its 15 minutes are up, and is refused with access_token_expired after', async () => {
      const { session } = await freshAlice();
      gate.clock.advanceSeconds(15 * 60 - 1);
      expectStatus(await call('/auth/me', session.accessToken), 200);
      gate.clock.advanceSeconds(2);
      await expectRefused(session.accessToken, ['access_token_expired']);
      // The session itself lives on: a refresh gives a token that works again.
      const refreshed = await httpPost(`${gate.url}/auth/refresh`, { refresh_token: session.refreshToken }, {});
      expectStatus(refreshed, 200);
      expectStatus(await call('/auth/me', refreshed.body.access_token), 200);
    });
  });
});
