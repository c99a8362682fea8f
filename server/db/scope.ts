import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The bound on one request's database work. Its signal aborts when the deadline passes or the
 * client goes away; from then on nothing more of the request is sent to the database, and what
 * is waiting is dropped. The database layer reads it from async context, so domain code and
 * queries need not pass it along.
 */
export interface DatabaseScope {
  /** Aborted with a DatabaseTimeoutError or a RequestAbandonedError as its reason. */
  readonly signal: AbortSignal;
}

/** Why a scope ended: its database work is given up, not failed by the database. */
export class ScopeEndedError extends Error {
  readonly code: string = 'GATEHOUSE_SCOPE_ENDED';
}

export class DatabaseTimeoutError extends ScopeEndedError {
  override name = 'DatabaseTimeoutError';
  override readonly code = 'GATEHOUSE_DATABASE_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms`);
  }
}

export class RequestAbandonedError extends ScopeEndedError {
  override name = 'RequestAbandonedError';
  override readonly code = 'GATEHOUSE_REQUEST_ABANDONED';
  constructor() {
    super('The client went away before its request was answered');
  }
}

const storage = new AsyncLocalStorage<DatabaseScope>();

export function currentDatabaseScope(): DatabaseScope | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) with database work bounded by `timeoutMs`. */
export function openDatabaseScope(timeoutMs: number): {
  run<T>(fn: () => T): T;
  /** The client went away: drop what waits, send nothing more. */
  abandon(): void;
  /** The request is answered: the deadline no longer matters. */
  close(): void;
} {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DatabaseTimeoutError(timeoutMs)), timeoutMs);
  timer.unref();
  const scope: DatabaseScope = { signal: controller.signal };
  return {
    run: (fn) => storage.run(scope, fn),
    abandon: () => controller.abort(new RequestAbandonedError()),
    close: () => clearTimeout(timer),
  };
}
