import { connect as connectTcp, type Socket } from 'node:net';
import type postgres from 'postgres';
import { NotWritablePrimaryError } from './errors';
import { DatabaseTimeoutError, type DatabaseScope } from './scope';

/*
 * One statement as the pool (postgres-pool.ts) hands it to postgres.js: the socket it runs on,
 * the lazy query drizzle awaits, and the bounds on how long anyone waits for it.
 */

/**
 * postgres.js's query. `state` is set once it is on a connection (a cancel before that leaves
 * the connection stuck); `canceller` sends PostgreSQL's cancel request, whose promise `cancel()`
 * drops (unhandled if the cancel cannot connect).
 */
export type DriverQuery = PromiseLike<unknown> & { state?: unknown; canceller?: ((query: DriverQuery) => Promise<void>) | null };

export function cancelOnServer(query: DriverQuery) {
  if (!query.state || !query.canceller) return;
  const cancel = query.canceller;
  query.canceller = null;
  cancel(query).catch(() => {});
}

/**
 * A TCP connection for postgres.js that reports its end at once. When a socket fails, Node emits
 * 'error' and only later 'close'; postgres.js (3.4) still sends queries on it in between, and
 * never fails them (it fails the running query on 'error', the others only on a clean 'close').
 * After a server died, those queries would hang until the deadline.
 */
export function socketFor(server: { host: string; port: number } | { path: string }): Socket {
  const socket = 'path' in server ? connectTcp(server.path) : connectTcp(server.port, server.host);
  Object.assign(socket, 'path' in server ? { host: server.path } : server); // for postgres.js's error messages
  socket.once('connect', () => socket.once('error', () => socket.emit('close', false)));
  return socket;
}

/** What drizzle gets from `unsafe()`: a query that starts when awaited, and may be asked for `.values()` first. */
export function lazyQuery(start: (values: boolean) => Promise<unknown>) {
  let values = false;
  let result: Promise<unknown> | undefined;
  const started = () => (result ??= start(values));
  const pending = {
    values() {
      values = true;
      return pending;
    },
    then: (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => started().then(onFulfilled, onRejected),
    catch: (onRejected?: (reason: unknown) => unknown) => started().catch(onRejected),
    finally: (onFinally?: () => void) => started().finally(onFinally),
  };
  return pending;
}

/** `outcome`, unless `scope` ends first: then `onGiveUp` runs and the scope's reason is thrown. */
export function bounded<T>(outcome: Promise<T>, scope: DatabaseScope, onGiveUp: () => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const giveUp = () => {
      onGiveUp();
      reject(scope.signal.reason);
    };
    if (scope.signal.aborted) return giveUp();
    scope.signal.addEventListener('abort', giveUp, { once: true });
    outcome.then(
      (value) => {
        scope.signal.removeEventListener('abort', giveUp);
        resolve(value);
      },
      (error: unknown) => {
        scope.signal.removeEventListener('abort', giveUp);
        reject(error);
      },
    );
  });
}

export function withTimeout<T>(pending: PromiseLike<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DatabaseTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Statements inside a transaction already have their connection: only the deadline applies. */
export function boundTransaction(tx: postgres.TransactionSql, scope: DatabaseScope): postgres.TransactionSql {
  return new Proxy(tx, {
    get(target, property, receiver) {
      if (property !== 'unsafe') return Reflect.get(target, property, receiver);
      return (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) =>
        lazyQuery((values) => {
          const query = target.unsafe(text, params as postgres.ParameterOrJSON<never>[], options);
          const driverQuery = (values ? query.values() : query) as unknown as DriverQuery;
          return bounded(Promise.resolve(driverQuery), scope, () => cancelOnServer(driverQuery));
        });
    },
  });
}

/** The probe: is the server answering a writable primary? */
export const PROBE_SQL = `select pg_is_in_recovery() as "inRecovery", current_setting('transaction_read_only') as "readOnly"`;

export function assertWritablePrimary(rows: unknown) {
  const [row] = rows as Array<{ inRecovery: boolean; readOnly: string }>;
  if (row?.inRecovery) throw new NotWritablePrimaryError('in recovery');
  if (row?.readOnly === 'on') throw new NotWritablePrimaryError('read-only');
}
