import { asc, sql } from 'drizzle-orm';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../server/deps';
import { purgeEndedSessions } from '../../server/domain/cleanup';
import { refreshSession } from '../../server/domain/sessions';
import { unseal } from '../../server/domain/sealed';
import { ACTIVATION_DELAY_SECONDS, JWKS_MAX_AGE_SECONDS, signingKeySealingKeyFrom } from '../../server/domain/signing-keys';
import { signingKeys } from '../../server/db/schema';
import { ManualClock } from '../helpers/clock';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, TEST_JWT_SECRET, type Gatehouse } from '../helpers/harness';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TOKEN_TTL = 15 * MINUTE;

let gate: Gatehouse | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

async function jwks(g: Gatehouse): Promise<{ status: number; body: JSONWebKeySet & { keys: Array<Record<string, string>> }; headers: Headers }> {
  const response = await fetch(`${g.url}/.well-known/jwks.json`);
  return { status: response.status, body: (await response.json()) as never, headers: response.headers };
}

const keyRows = (g: Gatehouse) => g.deps.db.select().from(signingKeys).orderBy(asc(signingKeys.activatesAt));

/**
 * A resource server as a careful third party writes one: jose on a copy of the JWKS that it
 * keeps exactly as long as Cache-Control allows, and never refetches early, not even for an
 * unknown kid (the worst cache there is that still honours max-age).
 */
function strictlyCachingVerifier(g: Gatehouse) {
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetches = 0;
  return {
    get fetches() {
      return fetches;
    },
    async verify(token: string) {
      const now = g.clock.now().getTime();
      if (!keySet || now - fetchedAt >= JWKS_MAX_AGE_SECONDS * 1000) {
        const { body, headers } = await jwks(g);
        expect(headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
        keySet = createLocalJWKSet(body);
        fetchedAt = now;
        fetches++;
      }
      return jwtVerify(token, keySet, {
        algorithms: ['ES256', 'EdDSA'],
        issuer: 'gatehouse',
        audience: 'gatehouse',
        typ: 'at+jwt',
        currentDate: g.clock.now(),
      });
    },
  };
}

describe('signing keys and their rotation', { timeout: 90_000 }, () => {
  it('the first start creates one key, published with the fields SPEC.md lists; the token names it', async () => {
    gate = await startGatehouse();
    const account = await registerAccount(gate);
    const { status, body, headers } = await jwks(gate);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('public, max-age=300');
    expect(body.keys).toHaveLength(1);
    const [key] = body.keys;
    expect(Object.keys(key!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(decodeProtectedHeader(account.accessToken)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key!.kid });
    // Nothing private is published.
    expect(JSON.stringify(body)).not.toMatch(/"d"/);
  });

  it('no column holds a private key in clear: it is sealed under a derivation of the server secret, bound to its row', async () => {
    gate = await startGatehouse();
    await registerAccount(gate);
    const [row] = await keyRows(gate);
    expect(row).toBeDefined();
    const everyColumn = JSON.stringify(row);
    const pem = unseal(signingKeySealingKeyFrom(TEST_JWT_SECRET), row!.id, row!.privateKeyCiphertext).toString('utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    // Neither the PEM, its DER (in any usual encoding), nor the scalar `d` is anywhere in the row.
    const d = (await crypto.subtle.exportKey('jwk', await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']))).d!;
    for (const secret of [pem.split('\n')[1]!, der.toString('base64'), der.toString('base64url'), der.toString('hex'), d]) {
      expect(everyColumn).not.toContain(secret);
    }
    expect(row!.privateKeyCiphertext).toMatch(/^v1\./);
    // Another server secret, or the ciphertext moved onto another row's id, does not open it.
    expect(() => unseal(signingKeySealingKeyFrom(`${TEST_JWT_SECRET}-other`), row!.id, row!.privateKeyCiphertext)).toThrow();
    expect(() => unseal(signingKeySealingKeyFrom(TEST_JWT_SECRET), `${row!.id}x`, row!.privateKeyCiphertext)).toThrow();
    // The key-encryption key is a derivation of its own, neither the secret nor the refresh-successor key.
    expect(signingKeySealingKeyFrom(TEST_JWT_SECRET).equals(gate.deps.refreshDerivationKey)).toBe(false);
    expect(signingKeySealingKeyFrom(TEST_JWT_SECRET).equals(gate.deps.webhookSecretKey)).toBe(false);
  });

  it('instances starting together end with one current key', async () => {
    gate = await startGatehouse();
    await gate.database.db.execute(sql`delete from signing_keys`);
    const clock = new ManualClock(gate.clock.now());
    const instances = Array.from({ length: 6 }, () =>
      createDeps({ db: gate!.deps.db, config: gate!.deps.config, clock, jwtSecret: TEST_JWT_SECRET }),
    );
    await Promise.all(instances.map((deps) => deps.signingKeys!.ready()));
    const rows = await keyRows(gate);
    expect(rows).toHaveLength(1);
    const kids = await Promise.all(instances.map(async (deps) => (await deps.signingKeys!.signingKey()).kid));
    expect(new Set(kids)).toEqual(new Set([rows[0]!.id]));
  });

  it('a whole rotation, manual then automatic, with a strictly caching verifier checking the newest and oldest live token every minute: zero failures', { timeout: 120_000 }, async () => {
    gate = await startGatehouse({ config: { signingKeyRotationDays: 1, accessTokenTtlSeconds: TOKEN_TTL } });
    const account: Account = await registerAccount(gate);
    const sessionId = (await gate.post('/auth/sessions', undefined, account.bearer)).body.sessions[0].id as string;
    const claims = { userId: '', sessionId, organizationId: '' };
    const me = await gate.post('/auth/me', undefined, account.bearer);
    claims.userId = me.body.user.id;
    claims.organizationId = me.body.organization.id;

    const verifier = strictlyCachingVerifier(gate);
    const live: Array<{ token: string; expiresAt: number; kid: string }> = [];
    const kidsSeen = new Set<string>();
    let failures = 0;
    let manualRotation: Awaited<ReturnType<NonNullable<Gatehouse['deps']['signingKeys']>['rotate']>> | undefined;
    const start = gate.clock.now().getTime();
    const steps = 26 * HOUR / MINUTE;

    for (let minute = 0; minute <= steps; minute++) {
      const now = gate.clock.now().getTime();
      if (minute === 62) manualRotation = await gate.deps.signingKeys!.rotate();
      const token = await gate.deps.accessTokens.sign(claims, gate.clock.now());
      const kid = decodeProtectedHeader(token).kid!;
      kidsSeen.add(kid);
      live.push({ token, expiresAt: now + TOKEN_TTL * 1000, kid });
      while (live.length > 0 && live[0]!.expiresAt <= now) live.shift();
      // The newest token (perhaps from a key just activated) and the oldest live one (perhaps of a key about to go).
      for (const { token: liveToken } of new Set([live[0]!, live.at(-1)!])) {
        try {
          await verifier.verify(liveToken);
        } catch {
          failures++;
        }
      }
      // Gatehouse itself accepts every live token, whichever key signed it.
      if (minute % 30 === 0) {
        for (const { token: liveToken } of [live[0]!, live.at(-1)!]) {
          expectStatus(await gate.post('/auth/me', undefined, { authorization: `Bearer ${liveToken}` }), 200);
        }
      }
      // Never more than the keys that may have signed a live token, plus the next one.
      if (minute % 15 === 0) expect((await jwks(gate)).body.keys.length).toBeLessThanOrEqual(3);
      gate.clock.advanceSeconds(MINUTE);
    }

    expect(failures).toBe(0);
    expect(verifier.fetches).toBeGreaterThan(steps / 6);
    // The manual rotation published a key at once, which signed only after twice the cache lifetime.
    expect(manualRotation).toMatchObject({ created: true });
    const rows = await keyRows(gate);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const manual = byId.get(manualRotation!.kid)!;
    expect(manual.createdAt.getTime()).toBe(start + 62 * MINUTE * 1000);
    expect(manual.activatesAt.getTime() - manual.createdAt.getTime()).toBe(ACTIVATION_DELAY_SECONDS * 1000);
    // First key, the manual one, then the automatic successor a day later.
    expect(kidsSeen.size).toBe(3);
    const automatic = rows.find((row) => row.activatesAt.getTime() > manual.activatesAt.getTime())!;
    expect(automatic.activatesAt.getTime()).toBe(manual.retiresAt.getTime());
    expect(automatic.activatesAt.getTime() - manual.activatesAt.getTime()).toBe(DAY * 1000);
    expect(automatic.activatesAt.getTime() - automatic.createdAt.getTime()).toBeGreaterThanOrEqual(ACTIVATION_DELAY_SECONDS * 1000);
    // 26 hours in, only the automatic key is published: every token of the two before it has expired.
    expect(manualRotation!.created && manualRotation!.previousKid).toEqual(expect.any(String));
    expect((await jwks(gate)).body.keys.map((key) => key.kid)).toEqual([automatic.id]);
  });

  it('rotate-signing-key publishes at once, signs 10 minutes later, keeps the old key until its last token expired; a second one waits', async () => {
    gate = await startGatehouse({ config: { accessTokenTtlSeconds: TOKEN_TTL } });
    const account = await registerAccount(gate);
    const [first] = (await jwks(gate)).body.keys;
    const rotated = await gate.deps.signingKeys!.rotate();
    expect(rotated).toMatchObject({ created: true, previousKid: first!.kid });
    expect((await jwks(gate)).body.keys.map((key) => key.kid)).toEqual([first!.kid, rotated.kid]);
    expect(await gate.deps.signingKeys!.rotate()).toMatchObject({ created: false, kid: rotated.kid });

    const kidOf = async () => decodeProtectedHeader((await registerAccount(gate!)).accessToken).kid;
    const tokenByOldKey = account.accessToken;
    gate.clock.advanceSeconds(ACTIVATION_DELAY_SECONDS - 1);
    expect(await kidOf()).toBe(first!.kid);
    gate.clock.advanceSeconds(1);
    expect(await kidOf()).toBe(rotated.kid);
    // The old key stays published until its last token (signed just before the switch) has expired, plus a minute of skew.
    gate.clock.advanceSeconds(TOKEN_TTL + 59);
    expect((await jwks(gate)).body.keys.map((key) => key.kid)).toContain(first!.kid);
    gate.clock.advanceSeconds(1);
    expect((await jwks(gate)).body.keys.map((key) => key.kid)).toEqual([rotated.kid]);
    expectStatus(await gate.post('/auth/me', undefined, { authorization: `Bearer ${tokenByOldKey}` }), 401);
    // The purge deletes it, private half included, a day later.
    expect((await keyRows(gate)).map((row) => row.id)).toContain(first!.kid);
    gate.clock.advanceSeconds(DAY + 1);
    expect(await purgeEndedSessions(gate.deps)).toMatchObject({ signingKeysPurged: 1, ranHere: true });
    expect((await keyRows(gate)).map((row) => row.id)).toEqual([rotated.kid]);
  });

  it('EdDSA: an Ed25519 key, published without y, verifiable by a third party', async () => {
    gate = await startGatehouse({ config: { accessTokenAlgorithm: 'EdDSA' } });
    const account = await registerAccount(gate);
    const { body } = await jwks(gate);
    expect(body.keys).toHaveLength(1);
    expect(Object.keys(body.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(decodeProtectedHeader(account.accessToken)).toMatchObject({ alg: 'EdDSA', kid: body.keys[0]!.kid });
    const { payload } = await jwtVerify(account.accessToken, createLocalJWKSet(body), {
      algorithms: ['EdDSA'],
      issuer: 'gatehouse',
      audience: 'gatehouse',
      currentDate: gate.clock.now(),
    });
    expect(payload.sid).toEqual(expect.any(String));
    expectStatus(await gate.post('/auth/me', undefined, account.bearer), 200);
  });

  it('HS256: the key set is empty, tokens carry no kid, and there is nothing to rotate', async () => {
    gate = await startGatehouse({ config: { accessTokenAlgorithm: 'HS256' } });
    const account = await registerAccount(gate);
    expect((await jwks(gate)).body).toEqual({ keys: [] });
    expect(decodeProtectedHeader(account.accessToken)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(await keyRows(gate)).toEqual([]);
    expect(gate.deps.signingKeys).toBeNull();
  });
});

describe('changing ACCESS_TOKEN_ALGORITHM on a running deployment', { timeout: 90_000 }, () => {
  /** A second instance on the same database with another configuration, as a redeploy makes. */
  function redeploy(g: Gatehouse, algorithm: 'ES256' | 'EdDSA' | 'HS256') {
    return createDeps({ db: g.deps.db, config: { ...g.deps.config, accessTokenAlgorithm: algorithm }, clock: g.clock, jwtSecret: TEST_JWT_SECRET });
  }

  it('from HS256 to ES256: access tokens issued before are refused once, their refresh tokens keep working', async () => {
    gate = await startGatehouse({ config: { accessTokenAlgorithm: 'HS256' } });
    const account = await registerAccount(gate);
    const after = redeploy(gate, 'ES256');
    expect(await after.accessTokens.verify(account.accessToken, gate.clock.now())).toEqual({ ok: false, reason: 'invalid_access_token' });
    // The refresh goes through the HS256 instance's database as any instance's would: same rows, same secret.
    const refreshed = await refreshSession(after, {
      refreshToken: account.refreshToken,
      callerOrganizationId: null,
      origin: { ipAddress: null, userAgent: null },
    });
    expect(decodeProtectedHeader(refreshed.access_token)).toMatchObject({ alg: 'ES256' });
    expect(await after.accessTokens.verify(refreshed.access_token, gate.clock.now())).toMatchObject({ ok: true });
  });

  it('from ES256 to EdDSA: ES256 tokens still verify until they expire, both keys are published', async () => {
    gate = await startGatehouse();
    const account = await registerAccount(gate);
    const after = redeploy(gate, 'EdDSA');
    await after.signingKeys!.ready();
    expect(await after.accessTokens.verify(account.accessToken, gate.clock.now())).toMatchObject({ ok: true });
    expect((await after.signingKeys!.published()).map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA']);
    const token = await after.accessTokens.sign({ userId: 'u', sessionId: 's', organizationId: 'o' }, gate.clock.now());
    expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
  });
});
