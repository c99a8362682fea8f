import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { ErrorReason } from '../errors';

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
  secret: string;
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
  // A WebCrypto key imported once: jose hands WebCrypto whatever it is given, and raw bytes
  // or a node KeyObject cost a fresh import on every sign and verify (measured: 120 µs a
  // signature against 72 µs with the key below).
  const key = crypto.subtle.importKey('raw', Buffer.from(options.secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  return {
    async sign(claims: AccessTokenClaims, now: Date): Promise<string> {
      const issuedAt = Math.floor(now.getTime() / 1000);
      return new SignJWT({ sid: claims.sessionId, org: claims.organizationId })
        .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + options.ttlSeconds)
        .setJti(randomBytes(16).toString('base64url'))
        .sign(await key);
    },

    /** Never throws: a token that does not verify is a value, not an exception. */
    async verify(token: string, now: Date): Promise<AccessTokenVerification> {
      try {
        const { payload, protectedHeader } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          currentDate: now,
          requiredClaims: ['sub', 'sid', 'org', 'exp', 'iat', 'jti'],
        });
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
