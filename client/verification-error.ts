/** Why a resource server's verifier refused a token (client/verifier.ts), as a stable `reason`. */
export type GatehouseVerificationReason =
  /** Middleware only: no `Authorization: Bearer` header. */
  | 'authentication_required'
  /** Not a Gatehouse access token: malformed, forged, tampered, another issuer or audience, an unexpected algorithm or header. */
  | 'invalid_access_token'
  | 'access_token_expired'
  /** Signed and unexpired, but introspection says its session has ended (or it is not of the key's organization). */
  | 'session_revoked'
  /** Introspection is configured and Gatehouse could not be asked (unreachable, slow, refused the API key): fail closed. */
  | 'introspection_unavailable'
  /** The published keys could not be fetched, so nothing can be verified. */
  | 'keys_unavailable';

export class GatehouseVerificationError extends Error {
  override name = 'GatehouseVerificationError';
  constructor(
    readonly reason: GatehouseVerificationReason,
    message: string = MESSAGES[reason],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MESSAGES: Record<GatehouseVerificationReason, string> = {
  authentication_required: 'Authentication required: send Authorization: Bearer <access_token>',
  invalid_access_token: 'Invalid access token',
  access_token_expired: 'Access token has expired',
  session_revoked: 'Session has been revoked',
  introspection_unavailable: 'Gatehouse could not be asked whether the session is live; retry shortly',
  keys_unavailable: "Gatehouse's signing keys could not be fetched; retry shortly",
};
