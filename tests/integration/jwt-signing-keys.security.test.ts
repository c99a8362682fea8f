import { createHmac, createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importPKCS8, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

/**
 * Forged tokens against the published-key algorithms (ES256, the default, and EdDSA). As in
 * jwt.security.test.ts, each starts from a real token and changes one thing; the control
 * re-signs with the server's own private key and must be accepted.
 */

type Header = Record<string, unknown>;
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const algorithm of ['ES256', 'EdDSA'] as const) {
  describe(`${algorithm} access tokens that must be refused`, () => {
    let gate: Gatehouse;
    let alice: Account;
    let kid: string;
    let jwks: { keys: Array<Record<string, string>> };

    beforeAll(async () => {
      gate = await startGatehouse({ config: { accessTokenAlgorithm: algorithm } });
      alice = await registerAccount(gate);
      kid = decodeProtectedHeader(alice.accessToken).kid!;
      jwks = (await (await fetch(`${gate.url}/.well-known/jwks.json`)).json()) as typeof jwks;
    });
    afterAll(() => gate?.close());

    const me = (token: string) => gate.post('/auth/me', undefined, { authorization: `Bearer ${token}` });
    const expectRefused = (result: HttpResult) => {
      expectStatus(result, 401);
      expect(result.body).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(result.body.message).not.toMatch(/expired/i);
    };
    const freshClaims = async () => decodeJwt((await login(gate, alice)).accessToken);
    /** The server's current private key, as the store unseals it (PKCS#8), imported for signing here. */
    const serverKey = async () => importPKCS8((await gate.deps.signingKeys!.signingKey()).privateKeyPem, algorithm);
    const serverSign = async (claims: JWTPayload, header: Header = {}) => {
      const key = await serverKey();
      return new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid, ...header } as never).sign(key);
    };

    it('control: the same claims re-signed with the server key are accepted', async () => {
      expectStatus(await me(await serverSign(await freshClaims())), 200);
    });

    it('signed by another key under the published kid: 401', async () => {
      const { privateKey } = await generateKeyPair(algorithm);
      const forged = await new SignJWT(await freshClaims()).setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid }).sign(privateKey);
      expectRefused(await me(forged));
    });

    it('an unknown kid, and no kid at all: 401', async () => {
      const claims = await freshClaims();
      const { privateKey } = await generateKeyPair(algorithm);
      expectRefused(await me(await new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid: 'not-a-key-of-ours' }).sign(privateKey)));
      const [, payload, signature] = (await serverSign(claims)).split('.');
      expectRefused(await me(`${base64url({ alg: algorithm, typ: 'at+jwt' })}.${payload}.${signature}`));
      // A flood of made-up kids is refused each time, and the real key still works after it.
      const floods = await Promise.all(
        Array.from({ length: 30 }, (_, i) => me(`${base64url({ alg: algorithm, typ: 'at+jwt', kid: `made-up-${i}` })}.${payload}.${signature}`)),
      );
      for (const result of floods) expectRefused(result);
      expectStatus(await me(await serverSign(claims)), 200);
    });

    it('a tampered payload with the original signature: 401', async () => {
      const token = await serverSign(await freshClaims());
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const bob = decodeJwt((await registerAccount(gate)).accessToken);
      expectRefused(await me(`${header}.${base64url({ ...claims, sub: bob.sub, sid: bob.sid, org: bob.org })}.${signature}`));
      expectRefused(await me(`${header}.${base64url({ ...claims, exp: claims.exp + 3600 })}.${signature}`));
    });

    it('the signed token with anything more in a segment (padding, a stray character, a fourth segment): 401', async () => {
      const token = await serverSign(await freshClaims());
      expectStatus(await me(token), 200);
      const [header, payload, signature] = token.split('.');
      for (const altered of [
        `${token}=`,
        `${token}!`,
        `${header}.${payload}.${signature}.`,
        `${header}.${payload}=.${signature}`,
        `${header}=.${payload}.${signature}`,
        `${header}.${payload}.${signature!.slice(0, 20)} ${signature!.slice(20)}`,
        `${header}.${payload}.${signature}${'A'.repeat(4)}`,
      ]) {
        expectRefused(await me(altered));
      }
    });

    it('an expired token signed with the right key: 401 access_token_expired', async () => {
      const now = Math.floor(gate.clock.now().getTime() / 1000);
      const result = await me(await serverSign({ ...(await freshClaims()), iat: now - 3600, exp: now - 1 }));
      expectStatus(result, 401);
      expect(result.body.message).toMatch(/expired/i);
    });

    describe('any header parameter but alg, typ and kid, signed with the right key', () => {
      const attackerJwk = async () => exportJWK((await generateKeyPair(algorithm, { extractable: true })).publicKey);
      const cases: Array<[string, () => Promise<Header>]> = [
        ['jwk (an embedded key of the attacker)', async () => ({ jwk: await attackerJwk() })],
        ['jku', async () => ({ jku: 'https://attacker.example/jwks.json' })],
        ['x5u', async () => ({ x5u: 'https://attacker.example/cert.pem' })],
        ['x5c', async () => ({ x5c: ['MIIB'] })],
        ['crit', async () => ({ crit: ['exp'], exp: 1 })],
        ['cty', async () => ({ cty: 'JWT' })],
      ];
      for (const [name, header] of cases) {
        it(`${name}: 401`, async () => {
          const claims = await freshClaims();
          const extra = await header();
          let token: string;
          try {
            token = await serverSign(claims, extra);
          } catch {
            // jose will not sign some of these (crit): sign the bytes by hand with the server key.
            const key = await serverKey();
            const input = `${base64url({ alg: algorithm, typ: 'at+jwt', kid, ...extra })}.${base64url(claims)}`;
            const params = algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
            const signature = Buffer.from(await crypto.subtle.sign(params, key as never, new TextEncoder().encode(input))).toString('base64url');
            token = `${input}.${signature}`;
          }
          expectRefused(await me(token));
        });
      }
    });

    describe('algorithm confusion', () => {
      /** An HS256 token keyed with the bytes of our public key, in every form a verifier might hold it. */
      const publicKeyForms = () => {
        const jwk = jwks.keys.find((key) => key.kid === kid)!;
        const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
        return {
          'the JWK JSON': JSON.stringify(jwk),
          'the JWK JSON as published': JSON.stringify(jwks),
          'the x coordinate': jwk.x!,
          'the decoded x coordinate': Buffer.from(jwk.x!, 'base64url'),
          'SPKI PEM': publicKey.export({ format: 'pem', type: 'spki' }),
          'SPKI DER': publicKey.export({ format: 'der', type: 'spki' }),
        } as Record<string, string | Buffer>;
      };

      it('HS256 keyed with the public key (JWK, x, PEM, DER), with our kid: 401', async () => {
        const claims = await freshClaims();
        for (const [form, secret] of Object.entries(publicKeyForms())) {
          for (const header of [{ alg: 'HS256', typ: 'at+jwt', kid }, { alg: 'HS256', typ: 'at+jwt' }]) {
            const input = `${base64url(header)}.${base64url(claims)}`;
            const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
            const result = await me(token);
            expect(result.status, `${form} ${JSON.stringify(header)}`).toBe(401);
          }
        }
      });

      it('alg none, with and without a signature: 401', async () => {
        const claims = await freshClaims();
        for (const alg of ['none', 'None', 'NONE']) {
          const input = `${base64url({ alg, typ: 'at+jwt', kid })}.${base64url(claims)}`;
          expectRefused(await me(`${input}.`));
          expectRefused(await me(`${input}.${(await serverSign(claims)).split('.')[2]}`));
        }
      });

      it(`the other asymmetric algorithm under our kid: 401`, async () => {
        const other = algorithm === 'ES256' ? 'EdDSA' : 'ES256';
        const { privateKey } = await generateKeyPair(other);
        const forged = await new SignJWT(await freshClaims()).setProtectedHeader({ alg: other, typ: 'at+jwt', kid }).sign(privateKey);
        expectRefused(await me(forged));
      });
    });
  });
}
