/** What the client reads of its access token. Not verified: the server still decides. */
export interface AccessTokenClaims {
  /** When the token expires, in milliseconds since the epoch. */
  expiresAtMs: number | null;
  /** The session the token belongs to (`sid`). */
  sessionId: string | null;
}

/** The claims of an access token, or nulls when it cannot be read. */
export function readAccessToken(accessToken: string): AccessTokenClaims {
  const payload = accessToken.split('.')[1];
  if (!payload) return { expiresAtMs: null, sessionId: null };
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const { exp, sid } = JSON.parse(atob(base64)) as { exp?: unknown; sid?: unknown };
    return {
      expiresAtMs: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null,
      sessionId: typeof sid === 'string' ? sid : null,
    };
  } catch {
    return { expiresAtMs: null, sessionId: null };
  }
}

/** When an access token expires, in milliseconds since the epoch, or null when it cannot be read. */
export function accessTokenExpiresAtMs(accessToken: string): number | null {
  return readAccessToken(accessToken).expiresAtMs;
}
