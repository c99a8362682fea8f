import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { createIntrospection, type IntrospectionSettings } from './introspection-cache.js';
import { GatehouseVerificationError } from './verification-error.js';

/**
 * Access-token verification for resource servers: the backends that receive a Gatehouse access
 * token and must decide whether to trust it. Runs without the server code (jose only).
 */

/** Gatehouse's defaults (JWT_ISSUER and JWT_AUDIENCE in server/env.ts); a deployment that changes them passes its own. */
const DEFAULT_ISSUER = 'gatehouse';
const DEFAULT_AUDIENCE = 'gatehouse';
/** RFC 9068: only an access token has this type; an ID token or another service's JWT does not. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Gatehouse signs with these; HS256 and `none` are never accepted, whatever a token's header says. */
const ALGORITHMS = ['ES256', 'EdDSA'];
/** Header parameters a Gatehouse token carries; any other (jwk, jku, x5u, x5c, crit, ...) is refused. */
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);
const REQUIRED_CLAIMS = ['sub', 'sid', 'org', 'exp', 'iat', 'jti', 'iss', 'aud'];
/** The JWKS is served with max-age=300: keep it no longer. */
const JWKS_CACHE_MAX_AGE_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_TOKEN_LENGTH = 8192;

export { GatehouseVerificationError, type GatehouseVerificationReason } from './verification-error.js';
export type { IntrospectionSettings } from './introspection-cache.js';

/** What a verified access token says. */
export interface GatehouseClaims {
  /** User id. */
  sub: string;
  /** Session id. */
  sid: string;
  /** Organization id. */
  org: string;
  exp: number;
  iat: number;
  iss: string;
  aud: string;
  jti: string;
}

export interface GatehouseVerifierOptions {
  /** Gatehouse's base URL, e.g. `https://auth.example.com`: keys at `/.well-known/jwks.json`, introspection at `/auth/introspect`. */
  url: string;
  /** Default `gatehouse`, as Gatehouse's JWT_ISSUER. */
  issuer?: string;
  /** Default `gatehouse`, as Gatehouse's JWT_AUDIENCE. */
  audience?: string;
  /**
   * Also ask Gatehouse (`POST /auth/introspect`) whether the token's session is still live, so
   * that a revoked session is refused at once instead of when its token expires. With an API
   * key of the organization whose tokens this server accepts; tokens of other organizations
   * are then refused (`session_revoked`: introspection does not tell them apart).
   */
  introspection?: IntrospectionSettings;
  /** Seconds of clock difference with Gatehouse tolerated on `exp`. Default 0. */
  clockToleranceSeconds?: number;
  /** The JWKS cache: kept `cacheMaxAgeMs` (default 300 000), refetched on an unknown kid at most every `cooldownMs` (default 30 000). */
  jwks?: { cacheMaxAgeMs?: number; cooldownMs?: number; timeoutMs?: number };
  fetch?: typeof globalThis.fetch;
  /** Milliseconds since the epoch; defaults to Date.now. For tests and for clocks that are not the system's. */
  now?: () => number;
}

/** The least of a request and a response that the middleware needs: express's and node's both fit. */
export interface VerifierRequest {
  headers: Record<string, string | string[] | undefined>;
  gatehouse?: GatehouseClaims;
}
export interface VerifierResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}
export type VerifierNext = (error?: unknown) => void;

export interface GatehouseVerifier {
  /** Resolves to the claims of a live Gatehouse access token, or rejects with a GatehouseVerificationError. */
  verify(token: string): Promise<GatehouseClaims>;
  /**
   * Express-compatible middleware: sets `req.gatehouse` to the claims and calls next, or answers
   * 401 `{message, code: 'UNAUTHORIZED', reason}` with `WWW-Authenticate: Bearer ...` (503
   * `SERVICE_UNAVAILABLE` with Retry-After when Gatehouse could not be asked: not the token's fault).
   */
  middleware(): (req: VerifierRequest, res: VerifierResponse, next: VerifierNext) => void;
}

export function createGatehouseVerifier(options: GatehouseVerifierOptions): GatehouseVerifier {
  const base = options.url.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const audience = options.audience ?? DEFAULT_AUDIENCE;

  const remoteKeys = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`), {
    cacheMaxAge: options.jwks?.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: options.jwks?.cooldownMs ?? 30_000,
    timeoutDuration: options.jwks?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    [customFetch]: (url, init) => fetchImpl(url, init),
  });
  /** A key that is not published is the token's fault; keys that cannot be fetched are not. */
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new GatehouseVerificationError('keys_unavailable', undefined, { cause: error });
    }
  };

  const introspection = options.introspection ? createIntrospection(base, options.introspection, fetchImpl, now) : null;

  async function verifySignature(token: string): Promise<GatehouseClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new GatehouseVerificationError('invalid_access_token');
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw new GatehouseVerificationError('invalid_access_token');
    }
    // Checked before any key is looked up: a token asking to be verified some other way costs no fetch.
    for (const name of Object.keys(header)) {
      if (!ALLOWED_HEADER_PARAMETERS.has(name)) throw new GatehouseVerificationError('invalid_access_token');
    }
    if (typeof header.kid !== 'string' || typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
      throw new GatehouseVerificationError('invalid_access_token');
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ALGORITHMS,
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: REQUIRED_CLAIMS,
        currentDate: new Date(now()),
        clockTolerance: options.clockToleranceSeconds ?? 0,
      });
      const { sub, sid, org, exp, iat, iss, aud, jti } = payload;
      if (
        typeof sub !== 'string' ||
        typeof sid !== 'string' ||
        typeof org !== 'string' ||
        typeof jti !== 'string' ||
        typeof iss !== 'string' ||
        typeof aud !== 'string' ||
        typeof exp !== 'number' ||
        typeof iat !== 'number'
      ) {
        throw new GatehouseVerificationError('invalid_access_token');
      }
      return { sub, sid, org, exp, iat, iss, aud, jti };
    } catch (error) {
      if (error instanceof GatehouseVerificationError) throw error;
      if (error instanceof errors.JWTExpired) throw new GatehouseVerificationError('access_token_expired');
      throw new GatehouseVerificationError('invalid_access_token');
    }
  }

  async function verify(token: string): Promise<GatehouseClaims> {
    const claims = await verifySignature(token);
    if (introspection) {
      const answer = await introspection.ask(token, claims);
      if (!answer.active) throw new GatehouseVerificationError('session_revoked');
    }
    return claims;
  }

  return {
    verify,
    middleware() {
      return (req, res, next) => {
        const token = bearerToken(req.headers.authorization);
        if (token === null) return refuse(res, new GatehouseVerificationError('authentication_required'));
        verify(token).then(
          (claims) => {
            req.gatehouse = claims;
            next();
          },
          (error: unknown) => (error instanceof GatehouseVerificationError ? refuse(res, error) : next(error)),
        );
      };
    },
  };
}

function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match ? match[1]! : null;
}

function refuse(res: VerifierResponse, error: GatehouseVerificationError): void {
  const unavailable = error.reason === 'introspection_unavailable' || error.reason === 'keys_unavailable';
  if (unavailable) {
    res.statusCode = 503;
    res.setHeader('Retry-After', '1');
  } else {
    res.statusCode = 401;
    // RFC 6750 §3: no error code when no credential was sent at all.
    res.setHeader(
      'WWW-Authenticate',
      error.reason === 'authentication_required' ? 'Bearer' : `Bearer error="invalid_token", error_description="${error.message}"`,
    );
  }
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify({ message: error.message, code: unavailable ? 'SERVICE_UNAVAILABLE' : 'UNAUTHORIZED', reason: error.reason }));
}
