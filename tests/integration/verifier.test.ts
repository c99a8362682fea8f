import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  importPKCS8,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGatehouseVerifier,
  GatehouseVerificationError,
  type GatehouseVerificationReason,
  type GatehouseVerifierOptions,
} from '../../client/index';
import { createApiKey, expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A hand-made HS256 JWS with any key bytes: what an algorithm-confusion attack sends. */
function hs256(header: Record<string, unknown>, payload: JWTPayload, key: Uint8Array | string): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A fetch that counts what it is asked for, and can be told to fail. */
function countingFetch() {
  const counts = { jwks: 0, introspect: 0 };
  const state = { failIntrospection: false as false | 'throw' | 'hang' };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/.well-known/jwks.json')) counts.jwks++;
    if (url.endsWith('/auth/introspect')) {
      counts.introspect++;
      if (state.failIntrospection === 'throw') throw new TypeError('fetch failed');
      if (state.failIntrospection === 'hang') {
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      }
    }
    return globalThis.fetch(input, init);
  };
  return { fetch, counts, state };
}

async function expectRefusal(promise: Promise<unknown>, reason: GatehouseVerificationReason): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, `expected a refusal with ${reason}`).toBeInstanceOf(GatehouseVerificationError);
  expect((error as GatehouseVerificationError).reason).toBe(reason);
}

describe('verifying Gatehouse access tokens elsewhere (ES256, published keys)', () => {
  let gate: Gatehouse;
  let alice: Account;
  let aliceKey: string;
  let jwksUrl: URL;

  beforeAll(async () => {
    gate = await startGatehouse();
    alice = await registerAccount(gate);
    aliceKey = await createApiKey(gate, alice);
    jwksUrl = new URL(`${gate.url}/.well-known/jwks.json`);
  });
  afterAll(() => gate?.close());

  /** A verifier on this Gatehouse, on its clock. */
  const verifierWith = (options: Partial<GatehouseVerifierOptions> = {}) => {
    const recorder = countingFetch();
    const verifier = createGatehouseVerifier({ url: gate.url, fetch: recorder.fetch, now: () => gate.clock.now().getTime(), ...options });
    return { verifier, ...recorder };
  };

  /** The published key that signed this token. */
  const publishedKey = async (token: string): Promise<JWK & { kid: string }> => {
    const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<JWK & { kid: string }> };
    const kid = decodeProtectedHeader(token).kid;
    const key = jwks.keys.find((candidate) => candidate.kid === kid);
    expect(key, `kid ${kid} is published`).toBeDefined();
    return key!;
  };

  it('a third party verifies a Gatehouse access token with plain jose and the JWKS URL', async () => {
    const session = await login(gate, alice);
    const response = await fetch(jwksUrl);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { payload, protectedHeader } = await jwtVerify(session.accessToken, createRemoteJWKSet(jwksUrl), {
      issuer: 'gatehouse',
      audience: 'gatehouse',
      algorithms: ['ES256', 'EdDSA'],
      typ: 'at+jwt',
      currentDate: gate.clock.now(),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    const me = await gate.post('/auth/me', undefined, session.bearer);
    expect(payload).toMatchObject({ sub: me.body.user.id, org: me.body.organization.id, sid: expect.any(String), jti: expect.any(String) });
  });

  it('the verifier resolves to the claims, the same as introspection reports them', async () => {
    const session = await login(gate, alice);
    const { verifier, counts } = verifierWith();
    const claims = await verifier.verify(session.accessToken);
    const introspected = await gate.post('/auth/introspect', { token: session.accessToken }, { 'x-api-key': aliceKey });
    const { active, token_type, ...expected } = introspected.body;
    expect(claims).toEqual(expected);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'org', 'sid', 'sub']);
    // The keys are fetched once and kept.
    for (let index = 0; index < 5; index++) await verifier.verify((await login(gate, alice)).accessToken);
    expect(counts).toEqual({ jwks: 1, introspect: 0 });
  });

  it('without introspection a revoked session verifies until its token expires; with it, it is refused at once', async () => {
    const session = await login(gate, alice);
    const plain = verifierWith();
    const asking = verifierWith({ introspection: { apiKey: aliceKey, cacheSeconds: 0 } });
    await asking.verifier.verify(session.accessToken);
    expectStatus(await gate.post('/auth/logout', { refresh_token: session.refreshToken }), 200);
    await expect(plain.verifier.verify(session.accessToken)).resolves.toMatchObject({ sub: expect.any(String) });
    await expectRefusal(asking.verifier.verify(session.accessToken), 'session_revoked');
    expect(asking.counts.introspect).toBe(2);
  });

  it('within cacheSeconds the cache answers; after them Gatehouse is asked again', async () => {
    const session = await login(gate, alice);
    const { verifier, counts } = verifierWith({ introspection: { apiKey: aliceKey, cacheSeconds: 30 } });
    await verifier.verify(session.accessToken);
    await verifier.verify(session.accessToken);
    expect(counts.introspect).toBe(1);
    expectStatus(await gate.post('/auth/logout', { refresh_token: session.refreshToken }), 200);
    gate.clock.advanceSeconds(29);
    // Still the cached answer: at most cacheSeconds of staleness, by design.
    await verifier.verify(session.accessToken);
    expect(counts.introspect).toBe(1);
    gate.clock.advanceSeconds(1);
    await expectRefusal(verifier.verify(session.accessToken), 'session_revoked');
    expect(counts.introspect).toBe(2);
    // The inactive answer is cached too.
    await expectRefusal(verifier.verify(session.accessToken), 'session_revoked');
    expect(counts.introspect).toBe(2);
  });

  it('concurrent verifications of one token share one introspection request', async () => {
    const session = await login(gate, alice);
    const { verifier, counts } = verifierWith({ introspection: { apiKey: aliceKey, cacheSeconds: 0 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(session.accessToken)));
    expect(new Set(results.map((claims) => claims.jti)).size).toBe(1);
    expect(counts.introspect).toBe(1);
    // cacheSeconds 0: once answered, the next one asks again.
    await verifier.verify(session.accessToken);
    expect(counts.introspect).toBe(2);
  });

  it('the introspection cache is bounded: past maxEntries the oldest answers go, and forged tokens never get in', async () => {
    const { verifier, counts } = verifierWith({ introspection: { apiKey: aliceKey, cacheSeconds: 300, maxEntries: 3 } });
    const tokens: string[] = [];
    for (let index = 0; index < 5; index++) tokens.push((await login(gate, alice)).accessToken);
    for (const token of tokens) await verifier.verify(token);
    expect(counts.introspect).toBe(5);
    await verifier.verify(tokens[4]!);
    await verifier.verify(tokens[2]!);
    expect(counts.introspect).toBe(5);
    // The first two were pushed out by the last three.
    await verifier.verify(tokens[0]!);
    expect(counts.introspect).toBe(6);
    // A flood of tokens that do not verify costs no introspection and no memory.
    const [header, payload] = tokens[0]!.split('.') as [string, string];
    const forged = Array.from({ length: 200 }, (_, index) => `${header}.${payload}.${Buffer.from(`sig${index}`).toString('base64url')}`);
    for (const token of forged) await expectRefusal(verifier.verify(token), 'invalid_access_token');
    expect(counts.introspect).toBe(6);
  });

  it('fails closed when introspection cannot be asked, and does not cache the failure', async () => {
    const session = await login(gate, alice);
    for (const failure of ['throw', 'hang'] as const) {
      const { verifier, state, counts } = verifierWith({ introspection: { apiKey: aliceKey, cacheSeconds: 30, timeoutMs: 1500 } });
      state.failIntrospection = failure;
      await expectRefusal(verifier.verify(session.accessToken), 'introspection_unavailable');
      state.failIntrospection = false;
      await expect(verifier.verify(session.accessToken)).resolves.toMatchObject({ sid: expect.any(String) });
      expect(counts.introspect).toBe(2);
    }
    // An API key Gatehouse refuses says nothing about the token: unavailable, not revoked.
    const badKey = verifierWith({ introspection: { apiKey: 'gk_not-a-real-key' } });
    await expectRefusal(badKey.verifier.verify(session.accessToken), 'introspection_unavailable');
    // Gatehouse not listening at all.
    const nowhere = createGatehouseVerifier({ url: 'http://127.0.0.1:9', introspection: { apiKey: aliceKey } });
    await expectRefusal(nowhere.verify(session.accessToken), 'keys_unavailable');
  });

  it("with introspection, a live token of another organization than the key's is refused", async () => {
    const stranger = await registerAccount(gate);
    const { verifier } = verifierWith({ introspection: { apiKey: aliceKey } });
    await expect(verifierWith().verifier.verify(stranger.accessToken)).resolves.toMatchObject({ sub: expect.any(String) });
    await expectRefusal(verifier.verify(stranger.accessToken), 'session_revoked');
  });

  it('algorithm confusion: HS256 tokens keyed with the public key, in every encoding, and alg none, are refused by all', async () => {
    const session = await login(gate, alice);
    const claims = decodeJwt(session.accessToken);
    const jwk = await publishedKey(session.accessToken);
    const { kid } = jwk;
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    const pem = await exportSPKI((await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'ES256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const keys: Record<string, Uint8Array | string> = {
      'JWK as published': JSON.stringify(jwk),
      'JWK, key members only': JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }),
      'JWK, thumbprint form': JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }),
      'x as text': jwk.x!,
      'x bytes': x,
      'y bytes': y,
      'x‖y bytes': Buffer.concat([x, y]),
      'uncompressed point 04‖x‖y': Buffer.concat([Buffer.from([4]), x, y]),
      'SPKI PEM': pem,
      'SPKI PEM without final newline': pem.trimEnd(),
      'SPKI DER': der,
      'SPKI DER as base64': der.toString('base64'),
    };
    const thirdParty = createRemoteJWKSet(jwksUrl);
    const { verifier, counts } = verifierWith();
    await verifier.verify(session.accessToken);
    for (const [label, key] of Object.entries(keys)) {
      const forged = hs256({ alg: 'HS256', typ: 'at+jwt', kid }, claims, key);
      // The forgery is sound: with the same bytes as an HMAC key, it verifies.
      await jwtVerify(forged, typeof key === 'string' ? new TextEncoder().encode(key) : key, { algorithms: ['HS256'], currentDate: gate.clock.now() });
      await expectRefusal(verifier.verify(forged), 'invalid_access_token');
      await expect(
        jwtVerify(forged, thirdParty, { issuer: 'gatehouse', audience: 'gatehouse', algorithms: ['ES256', 'EdDSA'], typ: 'at+jwt', currentDate: gate.clock.now() }),
        label,
      ).rejects.toThrow();
      expectStatus(await gate.post('/auth/me', undefined, { authorization: `Bearer ${forged}` }), 401);
    }
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${base64url({ alg, typ: 'at+jwt', kid })}.${base64url(claims)}.`;
      await expectRefusal(verifier.verify(unsigned), 'invalid_access_token');
      expectStatus(await gate.post('/auth/me', undefined, { authorization: `Bearer ${unsigned}` }), 401);
    }
    // None of these even made the verifier look at the keys again.
    expect(counts.jwks).toBe(1);
  });

  it('refuses a key of its own the token brings along (jwk, jku, x5u) and a token signed with an attacker key under the real kid', async () => {
    const session = await login(gate, alice);
    const claims = decodeJwt(session.accessToken);
    const { kid } = decodeProtectedHeader(session.accessToken);
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const { verifier } = verifierWith();
    const sign = (header: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header } as never).sign(attacker.privateKey);
    for (const header of [{ jwk: attackerJwk }, { jku: 'https://attacker.example/jwks.json' }, { x5u: 'https://attacker.example/cert' }, {}]) {
      await expectRefusal(verifier.verify(await sign(header)), 'invalid_access_token');
    }
    // A real token with an extra header parameter is refused too (the signature no longer matters).
    const [, payload, signature] = session.accessToken.split('.');
    await expectRefusal(verifier.verify(`${base64url({ alg: 'ES256', typ: 'at+jwt', kid, cty: 'x' })}.${payload}.${signature}`), 'invalid_access_token');
    // And so is one with no kid, or another typ.
    await expectRefusal(verifier.verify(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(attacker.privateKey)), 'invalid_access_token');
  });

  /**
   * Signs with Gatehouse's own current private key, raw, so that each refusal below is about the
   * one thing changed, never the signature. The control must verify, or the rest prove nothing.
   */
  async function signAsGatehouse(header: Record<string, unknown>, payload: JWTPayload): Promise<string> {
    const { kid, privateKeyPem } = await gate.deps.signingKeys!.signingKey();
    const key = await importPKCS8(privateKeyPem, 'ES256');
    const input = `${base64url({ alg: 'ES256', typ: 'at+jwt', kid, ...header })}.${base64url(payload)}`;
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(input));
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }

  it("tokens signed with Gatehouse's own key but one thing changed are refused; the unchanged control verifies", async () => {
    const session = await login(gate, alice);
    const claims = decodeJwt(session.accessToken);
    const { verifier } = verifierWith();
    await expect(verifier.verify(await signAsGatehouse({}, claims))).resolves.toMatchObject({ jti: claims.jti });
    const { kid } = await gate.deps.signingKeys!.signingKey();
    const headers: Array<Record<string, unknown>> = [
      { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } },
      { jku: 'https://attacker.example/jwks.json' },
      { x5u: 'https://attacker.example/cert.pem' },
      { x5c: ['MIIB'] },
      { cty: 'JWT' },
      { crit: ['exp'], exp: 1 },
      { b64: true },
      { typ: 'JWT' },
      { typ: undefined },
      { kid: undefined },
      { kid: `${kid}x` },
    ];
    for (const header of headers) {
      await expectRefusal(verifier.verify(await signAsGatehouse(header, claims)), 'invalid_access_token');
    }
    const { sub, sid, org, jti, iat, exp, iss, aud } = claims;
    const payloads: JWTPayload[] = [
      { sid, org, jti, iat, exp, iss, aud },
      { sub, org, jti, iat, exp, iss, aud },
      { sub, sid, jti, iat, exp, iss, aud },
      { sub, sid, org, iat, exp, iss, aud },
      { sub, sid, org, jti, exp, iss, aud },
      { sub, sid, org, jti, iat, iss, aud },
      { sub, sid, org, jti, iat, exp, aud },
      { sub, sid, org, jti, iat, exp, iss },
      { ...claims, iss: 'someone-else' },
      { ...claims, aud: 'another-api' },
      { ...claims, aud: ['gatehouse', 'another-api'] },
      { ...claims, sub: 42 as never },
      { ...claims, sid: null as never },
      { ...claims, iat: 'yesterday' as never },
    ];
    for (const payload of payloads) {
      await expectRefusal(verifier.verify(await signAsGatehouse({}, payload)), 'invalid_access_token');
    }
  });

  it('tampered payload, wrong issuer, wrong audience, wrong type, missing claims and expiry are refused', async () => {
    const session = await login(gate, alice);
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const claims = decodeJwt(session.accessToken);
    const { verifier } = verifierWith();
    await verifier.verify(session.accessToken);
    for (const change of [{ sub: 'someone-else' }, { org: 'another-org' }, { exp: (claims.exp as number) + 3600 }]) {
      await expectRefusal(verifier.verify(`${header}.${base64url({ ...claims, ...change })}.${signature}`), 'invalid_access_token');
    }
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectRefusal(verifier.verify(`${header}.${payload}.${flipped}`), 'invalid_access_token');
    await expectRefusal(verifierWith({ issuer: 'someone-else' }).verifier.verify(session.accessToken), 'invalid_access_token');
    await expectRefusal(verifierWith({ audience: 'another-api' }).verifier.verify(session.accessToken), 'invalid_access_token');
    for (const garbage of ['', 'garbage', 'a.b.c', `${header}.${payload}`, 'x'.repeat(10_000)]) {
      await expectRefusal(verifier.verify(garbage), 'invalid_access_token');
    }
    gate.clock.advanceSeconds(15 * 60 - 1);
    await verifier.verify(session.accessToken);
    gate.clock.advanceSeconds(1);
    await expectRefusal(verifier.verify(session.accessToken), 'access_token_expired');
    // A tolerance for clocks that differ is the caller's choice.
    await expect(verifierWith({ clockToleranceSeconds: 5 }).verifier.verify(session.accessToken)).resolves.toBeDefined();
  });

  it('a rotated signing key: an unknown kid refetches the keys once, and made-up kids do not refetch within the cooldown', async () => {
    const before = await login(gate, alice);
    const eager = verifierWith({ jwks: { cooldownMs: 0 } });
    const patient = verifierWith();
    await eager.verifier.verify(before.accessToken);
    await patient.verifier.verify(before.accessToken);
    const rotation = await gate.deps.signingKeys!.rotate();
    expect(rotation.created).toBe(true);
    gate.clock.advanceSeconds(601);
    const after = await login(gate, alice);
    expect(decodeProtectedHeader(after.accessToken).kid).not.toBe(decodeProtectedHeader(before.accessToken).kid);
    await expect(eager.verifier.verify(after.accessToken)).resolves.toMatchObject({ sub: expect.any(String) });
    expect(eager.counts.jwks).toBe(2);
    // The old key still verifies its tokens.
    await eager.verifier.verify(before.accessToken);
    expect(eager.counts.jwks).toBe(2);
    // Within the cooldown (30 s by default) made-up kids cost no fetch at all.
    const attacker = await generateKeyPair('ES256');
    for (let index = 0; index < 10; index++) {
      const madeUp = await new SignJWT(decodeJwt(after.accessToken)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `made-up-${index}` }).sign(attacker.privateKey);
      await expectRefusal(patient.verifier.verify(madeUp), 'invalid_access_token');
    }
    expect(patient.counts.jwks).toBe(1);
  });

  describe('middleware()', () => {
    let server: Server;
    let base: string;
    const state = { failIntrospection: false };

    beforeAll(async () => {
      const app = express();
      const plain = createGatehouseVerifier({ url: gate.url, now: () => gate.clock.now().getTime() });
      const asking = createGatehouseVerifier({
        url: gate.url,
        now: () => gate.clock.now().getTime(),
        introspection: { apiKey: aliceKey, cacheSeconds: 0 },
        fetch: async (input, init) => {
          if (state.failIntrospection && String(input).endsWith('/auth/introspect')) throw new TypeError('fetch failed');
          return globalThis.fetch(input, init);
        },
      });
      app.get('/plain', plain.middleware(), (req, res) => {
        res.json({ claims: (req as typeof req & { gatehouse?: unknown }).gatehouse });
      });
      app.get('/asking', asking.middleware(), (req, res) => {
        res.json({ claims: (req as typeof req & { gatehouse?: unknown }).gatehouse });
      });
      server = await new Promise<Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server?.close(resolve)));

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(base + path, { headers });
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    };

    it('a live token: next() runs with req.gatehouse set to the claims', async () => {
      const session = await login(gate, alice);
      for (const path of ['/plain', '/asking']) {
        const answer = await get(path, session.bearer);
        expect(answer.status).toBe(200);
        expect(answer.body.claims).toMatchObject({ sub: expect.any(String), sid: expect.any(String), org: expect.any(String), iss: 'gatehouse' });
      }
    });

    it('no token: 401 with WWW-Authenticate: Bearer and a JSON body', async () => {
      const noToken: Array<Record<string, string>> = [{}, { authorization: 'Basic YTpi' }, { authorization: 'Bearer' }];
      for (const headers of noToken) {
        const answer = await get('/plain', headers);
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        expect(answer.body).toEqual({ message: expect.any(String), code: 'UNAUTHORIZED', reason: 'authentication_required' });
      }
    });

    it('a bad, expired or revoked token: 401 invalid_token with the reason', async () => {
      const session = await login(gate, alice);
      const garbage = await get('/plain', { authorization: 'Bearer not.a.token' });
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(garbage.body).toEqual({ message: 'Invalid access token', code: 'UNAUTHORIZED', reason: 'invalid_access_token' });

      expectStatus(await gate.post('/auth/logout', { refresh_token: session.refreshToken }), 200);
      const revoked = await get('/asking', session.bearer);
      expect(revoked.status).toBe(401);
      expect(revoked.body).toMatchObject({ code: 'UNAUTHORIZED', reason: 'session_revoked' });
      expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);

      gate.clock.advanceSeconds(15 * 60);
      const expired = await get('/plain', session.bearer);
      expect(expired).toMatchObject({ status: 401, body: { reason: 'access_token_expired' } });
    });

    it('Gatehouse cannot be asked: 503 with Retry-After, not a 401 that would blame the token', async () => {
      const session = await login(gate, alice);
      state.failIntrospection = true;
      try {
        const answer = await get('/asking', session.bearer);
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('1');
        expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'introspection_unavailable' });
      } finally {
        state.failIntrospection = false;
      }
    });
  });
});

describe('verifying EdDSA access tokens', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { accessTokenAlgorithm: 'EdDSA' } });
  });
  afterAll(() => gate?.close());

  it('verifies, and refuses HS256 keyed with the Ed25519 public key', async () => {
    const account = await registerAccount(gate);
    expect(decodeProtectedHeader(account.accessToken).alg).toBe('EdDSA');
    const verifier = createGatehouseVerifier({ url: gate.url, now: () => gate.clock.now().getTime() });
    await expect(verifier.verify(account.accessToken)).resolves.toMatchObject({ sub: expect.any(String) });
    const jwks = (await (await fetch(`${gate.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    const [jwk] = jwks.keys as [JWK & { kid: string }];
    for (const key of [JSON.stringify(jwk), jwk.x!, Buffer.from(jwk.x!, 'base64url')]) {
      await expectRefusal(verifier.verify(hs256({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, decodeJwt(account.accessToken), key)), 'invalid_access_token');
    }
  });
});

describe('the client package', () => {
  it('imports nothing from the server at run time (types only)', () => {
    const offending: string[] = [];
    for (const file of readdirSync('client').filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(`client/${file}`, 'utf8');
      for (const statement of source.match(/^(?:import|export)\b[^;]*?from\s+['"][^'"]+['"]/gms) ?? []) {
        if (/from\s+['"](?:\.\.\/)+server\//.test(statement) && !/^(?:import|export)\s+type\b/.test(statement)) offending.push(`${file}: ${statement}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
