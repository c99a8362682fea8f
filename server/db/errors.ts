/**
 * Whether an error means "the database cannot serve this right now" (as opposed to a bug or
 * bad data): unreachable, restarting, failing over, or a server that cannot take writes (a
 * standby, or a primary demoted to one). Such calls answer 503 and are retried by the client;
 * the pool moves on to a server that works, and the service resumes by itself once there is one.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  // postgres.js also ends a connection this way when target_session_attrs refuses the server (a standby).
  'CONNECTION_DESTROYED',
  '25006', // read_only_sql_transaction: a standby, or default_transaction_read_only
  '25P01', // no_active_sql_transaction: the transaction's connection was lost under it
  '57014', // query_canceled: a statement the database, or Gatehouse at its deadline, gave up
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, or in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  // Gatehouse's own: the statement deadline passed, the server is no writable primary, the client left.
  'GATEHOUSE_DATABASE_TIMEOUT',
  'GATEHOUSE_NOT_PRIMARY',
  'GATEHOUSE_REQUEST_ABANDONED',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    // Class 08 is "connection exception", whatever the detail.
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export class NotWritablePrimaryError extends Error {
  override name = 'NotWritablePrimaryError';
  readonly code = 'GATEHOUSE_NOT_PRIMARY';
  constructor(reason: 'in recovery' | 'read-only') {
    super(`The database server is not a writable primary (${reason})`);
  }
}
