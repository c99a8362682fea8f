import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type CryptoKey, type JWTVerifyOptions } from 'jose';
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

export function createAccessTokens(options: AccessTokenOptions) {
  const { signingKeys } = options;
  if (options.algorithm !== 'HS256' && !signingKeys) throw new Error(`${options.algorithm} access tokens need the signing key store`);
  // A WebCrypto key imported once: jose hands WebCrypto whatever it is given, and raw bytes
  // or a node KeyObject cost a fresh import on every sign and verify (measured: 120 µs a
  // signature against 72 µs with the key below).
  const hmacKey =
    options.algorithm === 'HS256'
      ? crypto.subtle.importKey('raw', Buffer.from(options.secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
      : null;
  const verifyOptions = (now: Date): JWTVerifyOptions => ({
    issuer: options.issuer,
    audience: options.audience,
    typ: ACCESS_TOKEN_TYPE,
    currentDate: now,
    requiredClaims: ['sub', 'sid', 'org', 'exp', 'iat', 'jti'],
  });

  /** The key and algorithm this token claims, if it is one this service would have used; else null. */
  async function keyFor(token: string): Promise<{ algorithm: string; key: CryptoKey } | null> {
    if (hmacKey) return { algorithm: 'HS256', key: await hmacKey };
    const header = decodeProtectedHeader(token);
    if (typeof header.kid !== 'string' || (header.alg !== 'ES256' && header.alg !== 'EdDSA')) return null;
    const found = await signingKeys!.verificationKey(header.kid);
    // The key decides the algorithm, never the header: a kid of an ES256 key verifies only ES256.
    if (!found || found.algorithm !== header.alg) return null;
    return found;
  }

  return {
    algorithm: options.algorithm,

    async sign(claims: AccessTokenClaims, now: Date): Promise<string> {
      const issuedAt = Math.floor(now.getTime() / 1000);
      const jwt = new SignJWT({ sid: claims.sessionId, org: claims.organizationId })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + options.ttlSeconds)
        .setJti(randomBytes(16).toString('base64url'));
      if (hmacKey) return jwt.setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE }).sign(await hmacKey);
      const { kid, key } = await signingKeys!.signingKey();
      return jwt.setProtectedHeader({ alg: options.algorithm, typ: ACCESS_TOKEN_TYPE, kid }).sign(key);
    },

    /** Never throws for a bad token: a token that does not verify is a value, not an exception. */
    async verify(token: string, now: Date): Promise<AccessTokenVerification> {
      let key: { algorithm: string; key: CryptoKey } | null;
      try {
        key = await keyFor(token);
      } catch (error) {
        // Not a JWT at all; a database that cannot be read still throws (a 503, not a 401).
        if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return { ok: false, reason: 'invalid_access_token' };
        throw error;
      }
      if (!key) return { ok: false, reason: 'invalid_access_token' };
      try {
        const { payload, protectedHeader } = await jwtVerify(token, key.key, { ...verifyOptions(now), algorithms: [key.algorithm] });
        if (!hasOnlyAllowedHeaderParameters(protectedHeader)) return { ok: false, reason: 'invalid_access_token' };
        const { sub, sid, org, iat, exp, jti } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || typeof org !== 'string' || typeof jti !== 'string') {
          return { ok: false, reason: 'invalid_access_token' };
        }
        return {
          ok: true,
          claims: {
            userId: sub,
            sessionId: sid,
            organizationId: org,
            issuedAt: iat!,
            expiresAt: exp!,
            tokenId: jti,
            issuer: options.issuer,
            audience: options.audience,
          },
        };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'access_token_expired' };
        return { ok: false, reason: 'invalid_access_token' };
      }
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

/**
 * Gatehouse signs with alg and typ only (kid is tolerated for key rotation). Anything else
 * (jwk, jku, x5u, x5c, crit, cty, b64, ...) is a request to verify some other way, which a
 * token of ours never makes; refusing them all keeps any verifier downstream from being
 * steered either. Checked on the header jose has already decoded, so it costs a few key
 * lookups, and own keys only: `__proto__` in the JSON is a key like any other.
 */
function hasOnlyAllowedHeaderParameters(header: object): boolean {
  for (const name of Object.keys(header)) if (!ALLOWED_HEADER_PARAMETERS.has(name)) return false;
  return true;
}
