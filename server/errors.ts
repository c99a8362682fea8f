/**
 * Every refusal Gatehouse makes, by stable machine-readable reason. Domain code throws
 * `new AppError(reason)`; the tRPC layer maps `code` to the HTTP status and puts `reason`
 * beside the message in the error body. Codes are tRPC's names, as plain strings, so
 * the domain stays free of the web framework.
 */
export const ERROR_REASONS = {
  authentication_required: {
    code: 'UNAUTHORIZED',
    message: 'Authentication required: send an x-api-key header or an Authorization: Bearer access token',
  },
  invalid_api_key: { code: 'UNAUTHORIZED', message: 'Invalid API key' },
  api_key_revoked: { code: 'UNAUTHORIZED', message: 'API key has been revoked' },
  api_key_expired: { code: 'UNAUTHORIZED', message: 'API key has expired' },
  invalid_access_token: { code: 'UNAUTHORIZED', message: 'Invalid access token' },
  access_token_expired: { code: 'UNAUTHORIZED', message: 'Access token has expired' },
  credentials_mismatch: {
    code: 'UNAUTHORIZED',
    message: 'The API key and the access token belong to different organizations',
  },
  invalid_credentials: { code: 'UNAUTHORIZED', message: 'Invalid email or password' },
  invalid_refresh_token: { code: 'UNAUTHORIZED', message: 'Invalid refresh token' },
  refresh_token_reused: {
    code: 'UNAUTHORIZED',
    message: 'Refresh token was already used; the session has been ended for safety',
  },
  session_revoked: { code: 'UNAUTHORIZED', message: 'Session has been revoked' },
  session_expired: { code: 'UNAUTHORIZED', message: 'Session has expired' },
  session_idle_expired: { code: 'UNAUTHORIZED', message: 'Session expired after a period of inactivity' },
  session_required: {
    code: 'FORBIDDEN',
    message: 'This operation needs a signed-in user (Authorization: Bearer); an API key alone is not enough',
  },
  organization_suspended: { code: 'FORBIDDEN', message: 'Organization is suspended' },
  organization_inactive: { code: 'FORBIDDEN', message: 'Organization is inactive' },
  session_not_found: { code: 'NOT_FOUND', message: 'Session not found' },
  api_key_not_found: { code: 'NOT_FOUND', message: 'API key not found' },
  invalid_cursor: { code: 'BAD_REQUEST', message: 'cursor is not one this listing returned' },
  invalid_current_password: { code: 'FORBIDDEN', message: 'The current password is not correct' },
  password_too_short: { code: 'BAD_REQUEST', message: 'The password must be at least 8 characters long' },
  password_too_common: {
    code: 'BAD_REQUEST',
    message: 'This password is one of the most commonly used ones; choose another',
  },
  expiry_in_past: { code: 'BAD_REQUEST', message: 'expiresAt must be in the future' },
  email_taken: { code: 'CONFLICT', message: 'An account with this email already exists' },
  webhook_not_found: { code: 'NOT_FOUND', message: 'Webhook endpoint not found' },
  webhook_url_invalid: { code: 'BAD_REQUEST', message: 'url must be an absolute https:// URL without credentials' },
  webhook_url_not_allowed: {
    code: 'BAD_REQUEST',
    message: 'url must use https:// and resolve to public addresses only (not private, loopback or link-local)',
  },
  webhook_endpoint_limit: { code: 'CONFLICT', message: 'The organization already has the maximum number of webhook endpoints' },
  rate_limited: { code: 'TOO_MANY_REQUESTS', message: 'Too many requests; retry after the time in Retry-After' },
  reauthentication_required: {
    code: 'FORBIDDEN',
    message: 'This action needs a recent sign-in: call /auth/reauthenticate or send currentPassword',
  },
  server_busy: { code: 'SERVICE_UNAVAILABLE', message: 'The server is busy; retry after the time in Retry-After' },
  database_unavailable: {
    code: 'SERVICE_UNAVAILABLE',
    message: 'The database is unavailable; retry shortly',
  },
} as const satisfies Record<string, { code: ErrorCode; message: string }>;

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export type ErrorReason = keyof typeof ERROR_REASONS;

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;

  /** Set on 429s and 503s: sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly reason: ErrorReason,
    message?: string,
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message ?? ERROR_REASONS[reason].message);
    this.code = ERROR_REASONS[reason].code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
