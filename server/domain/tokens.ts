import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, type Algorithm } from 'fast-jwt';
import { decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { AccessTokenAlgorithm } from '../env';
import type { ErrorReason } from '../errors';
import type { SigningKeyStore } from './signing-keys';

/** 256 random bits, base64url: the shape of every opaque secret Gatehouse hands out. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Secrets are stored and looked up only by this hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/**
 * The successor of a refresh token is derived from it with a server-side key, so that
 * two concurrent refreshes of the same token (two tabs, a retried request) can both be
 * answered with the same new token without ever storing it in clear.
 */
export function deriveSuccessorToken(refreshDerivationKey: Buffer, refreshToken: string): string {
  return createHmac('sha256', refreshDerivationKey).update(refreshToken).digest('base64url');
}

export function refreshDerivationKeyFrom(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'gatehouse', 'refresh-token-successor', 32));
}

/** RFC 9068 token type: a JWT without it (an ID token, some other service's JWT) is not an access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  organizationId: string;
}

export interface AccessTokenOptions {
  algorithm: AccessTokenAlgorithm;
  /** HS256 signs and verifies with it; ES256 and EdDSA never use it for tokens. */
  secret: string;
  /** The database's signing keys: required for ES256 and EdDSA. */
  signingKeys?: SigningKeyStore;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** What a verified access token says, beyond who and which session: its registered claims. */
export interface VerifiedAccessToken extends AccessTokenClaims {
  issuedAt: number;
  expiresAt: number;
  tokenId: string;
  issuer: string;
  audience: string;
}

export type AccessTokenVerification =
  | { ok: true; claims: VerifiedAccessToken }
  | { ok: false; reason: Extract<ErrorReason, 'invalid_access_token' | 'access_token_expired'> };

/** What a fast-jwt verifier built with `complete: true` returns. */
type DecodedToken = { header: Record<string, unknown>; payload: Record<string, unknown> };

/** Three base64url segments, nothing else: Buffer's lenient base64 would read past stray characters. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Far above any token of ours (some 600 characters), far below a header limit. */
const MAX_TOKEN_LENGTH = 4_096;

export function createAccessTokens(options: AccessTokenOptions) {
  const { signingKeys } = options;
  if (options.algorithm !== 'HS256' && !signingKeys) throw new Error(`${options.algorithm} access tokens need the signing key store`);

  /*
   * fast-jwt: synchronous node:crypto, keys parsed once per signer and verifier. Measured against
   * jose (WebCrypto, async) in bench/jwt-algorithms.ts: ES256 sign 55 against 104 µs of CPU,
   * verify 82 against 124; HS256 about 20 against 120 – 145. The clock is the injected one, so expiry
   * is checked here, not by fast-jwt (whose clock is fixed when a verifier is built).
   */
  const verifierOptions = {
    // iss and aud too: fast-jwt checks allowedIss and allowedAud only on claims that are present.
    requiredClaims: ['iss', 'aud', 'sub', 'sid', 'org', 'exp', 'iat', 'jti'],
    allowedIss: options.issuer,
    allowedAud: options.audience,
    checkTyp: ACCESS_TOKEN_TYPE,
    ignoreExpiration: true,
    ignoreNotBefore: true,
    complete: true,
    cache: false,
  };
  const makeVerifier = (key: string, algorithm: string) =>
    createVerifier({ ...verifierOptions, key, algorithms: [algorithm as Algorithm] }) as unknown as (token: string) => DecodedToken;
  const makeSigner = (key: string, algorithm: string, kid?: string) =>
    createSigner({ key, algorithm: algorithm as Algorithm, header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE }, ...(kid ? { kid } : {}) });

  const hmac = options.algorithm === 'HS256' ? { sign: makeSigner(options.secret, 'HS256'), verify: makeVerifier(options.secret, 'HS256') } : null;
  // One signer and one verifier per key, built on first use: a new key comes with each rotation.
  const signers = new Map<string, ReturnType<typeof makeSigner>>();
  const verifiers = new Map<string, (token: string) => DecodedToken>();

  /** The verifier for the key this token names, if it is one this service would have used; else null. */
  async function verifierFor(token: string): Promise<((token: string) => DecodedToken) | null> {
    if (hmac) return hmac.verify;
    const header = decodeProtectedHeader(token);
    if (typeof header.kid !== 'string' || (header.alg !== 'ES256' && header.alg !== 'EdDSA')) return null;
    const found = await signingKeys!.verificationKey(header.kid);
    // The key decides the algorithm, never the header: a kid of an ES256 key verifies only ES256.
    if (!found || found.algorithm !== header.alg) return null;
    const cacheKey = `${header.kid}:${found.algorithm}`;
    let verifier = verifiers.get(cacheKey);
    if (!verifier) {
      verifier = makeVerifier(found.publicKeyPem, found.algorithm);
      verifiers.set(cacheKey, verifier);
    }
    return verifier;
  }

  return {
    algorithm: options.algorithm,

    async sign(claims: AccessTokenClaims, now: Date): Promise<string> {
      const issuedAt = Math.floor(now.getTime() / 1000);
      const payload = {
        sid: claims.sessionId,
        org: claims.organizationId,
        sub: claims.userId,
        iss: options.issuer,
        aud: options.audience,
        iat: issuedAt,
        exp: issuedAt + options.ttlSeconds,
        jti: randomBytes(16).toString('base64url'),
      };
      if (hmac) return hmac.sign(payload);
      const { kid, privateKeyPem } = await signingKeys!.signingKey();
      let signer = signers.get(kid);
      if (!signer) {
        signer = makeSigner(privateKeyPem, options.algorithm, kid);
        signers.set(kid, signer);
      }
      return signer(payload);
    },

    /** Never throws for a bad token: a token that does not verify is a value, not an exception. */
    async verify(token: string, now: Date): Promise<AccessTokenVerification> {
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return { ok: false, reason: 'invalid_access_token' };
      let verifier: ((token: string) => DecodedToken) | null;
      try {
        verifier = await verifierFor(token);
      } catch (error) {
        // Not a JWT at all; a database that cannot be read still throws (a 503, not a 401).
        if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return { ok: false, reason: 'invalid_access_token' };
        throw error;
      }
      if (!verifier) return { ok: false, reason: 'invalid_access_token' };
      let decoded: DecodedToken;
      try {
        decoded = verifier(token);
      } catch {
        return { ok: false, reason: 'invalid_access_token' };
      }
      const { header, payload } = decoded;
      if (!hasOnlyAllowedHeaderParameters(header)) return { ok: false, reason: 'invalid_access_token' };
      const { sub, sid, org, iat, exp, jti, nbf } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof org !== 'string' || typeof jti !== 'string') {
        return { ok: false, reason: 'invalid_access_token' };
      }
      if (!Number.isInteger(iat) || !Number.isInteger(exp) || (nbf !== undefined && typeof nbf !== 'number')) {
        return { ok: false, reason: 'invalid_access_token' };
      }
      const nowSeconds = Math.floor(now.getTime() / 1000);
      if (typeof nbf === 'number' && nbf > nowSeconds) return { ok: false, reason: 'invalid_access_token' };
      if ((exp as number) <= nowSeconds) return { ok: false, reason: 'access_token_expired' };
      return {
        ok: true,
        claims: {
          userId: sub,
          sessionId: sid,
          organizationId: org,
          issuedAt: iat as number,
          expiresAt: exp as number,
          tokenId: jti,
          issuer: options.issuer,
          audience: options.audience,
        },
      };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

/**
 * Gatehouse signs with alg and typ only (kid is tolerated for key rotation). Anything else
 * (jwk, jku, x5u, x5c, crit, cty, b64, ...) is a request to verify some other way, which a
 * token of ours never makes; refusing them all keeps any verifier downstream from being
 * steered either. Checked on the header fast-jwt has already decoded, so it costs a few key
 * lookups, and own keys only: `__proto__` in the JSON is a key like any other.
 */
function hasOnlyAllowedHeaderParameters(header: object): boolean {
  for (const name of Object.keys(header)) if (!ALLOWED_HEADER_PARAMETERS.has(name)) return false;
  return true;
}
