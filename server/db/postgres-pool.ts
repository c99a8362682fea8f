import postgres from 'postgres';
import { isDatabaseUnavailable } from './errors';
import { AvailabilityRecord } from './health';
import { assertWritablePrimary, boundTransaction, bounded, cancelOnServer, lazyQuery, PROBE_SQL, socketFor, withTimeout, type DriverQuery } from './driver-query';
import { currentDatabaseScope, DatabaseTimeoutError, ScopeEndedError, type DatabaseScope } from './scope';

/**
 * PostgreSQL connections for Gatehouse, built on postgres.js, made to live through a failover:
 *
 * - Statements wait for a connection in Gatehouse's own queue, where a request whose deadline
 *   passed or whose client went away is simply dropped. At most `max` are with the driver
 *   (postgres.js would otherwise pipeline them onto busy connections, past recall).
 * - A multi-host URL (`host1:5432,host2:5432`) is tried one host at a time: postgres.js's own
 *   multi-host mode (3.4) retries a waiting query in a tight loop while no host is a primary, and
 *   never fails it. Gatehouse opens the sockets itself (socketFor, driver-query.ts), to the host it chose;
 *   `target_session_attrs` still applies to every connection.
 * - When a statement fails because the server cannot serve (unreachable, shutting down, read-only,
 *   not answering within the deadline), that host's connections are retired and new ones are opened,
 *   to the next host if there are several. Until the database answers again only a probe goes to
 *   the driver (is this a writable primary?); waiting statements go through as soon as one succeeds,
 *   and get the probe's error (a 503) when it fails.
 */
export interface PostgresPool {
  /** For drizzle: `unsafe()` and `begin()` go through the queue, the deadlines and the failover above. */
  sql: postgres.Sql;
  health: AvailabilityRecord;
  /** Resolves when the server answering is a writable primary (GET /ready). */
  checkWritablePrimary(): Promise<void>;
  /** Waits (a few probes) for a writable primary; for start-up. */
  waitForWritablePrimary(): Promise<void>;
  end(): Promise<void>;
}

/** How soon after a failed probe the next may run: a server that refuses at once is not hammered. */
const PROBE_INTERVAL_MS = 250;

interface Generation {
  sql: postgres.Sql;
  host: number;
  /** Statements with the driver now. */
  active: number;
}

interface Waiter {
  /** Which probe was the first to start after it queued: a failing one before that says nothing of now. */
  queuedAfterProbe: number;
  grant(generation: Generation): void;
  reject(error: unknown): void;
}

export function createPostgresPool(url: string, { max, timeoutSeconds }: { max: number; timeoutSeconds: number }): PostgresPool {
  const timeoutMs = timeoutSeconds * 1000;
  const parsed = postgres(url, { max: 1 }).options; // parses only: no connection is opened
  const servers: Array<{ host: string; port: number } | { path: string }> = parsed.path
    ? [{ path: parsed.path as unknown as string }]
    : parsed.host.map((host, index) => ({ host, port: parsed.port[index]! }));
  const health = new AvailabilityRecord(timeoutMs);
  const waiting: Waiter[] = [];
  const retiring = new Set<Promise<void>>();
  let probing = false;
  let probesStarted = 0;
  let lastProbeAt = 0;

  let firstOptions: postgres.ParsedOptions | undefined;
  let generation = connectTo(0);

  function connectTo(host: number): Generation {
    const server = servers[host]!;
    const sql = postgres(url, {
      max,
      // Fail a connection attempt within the deadline instead of postgres.js's 30 s; reconnect
      // within a second rather than after its exponential backoff (up to 20 s).
      connect_timeout: Math.min(3, timeoutSeconds),
      backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
      onnotice: () => {},
      // One host per set of connections: with several, postgres.js never fails a connection attempt.
      ...('path' in server ? {} : { host: server.host, port: server.port }),
      // Typed in postgres.js's README, not in its declarations.
      ...({ socket: () => socketFor(server) } as object),
    });
    // drizzle sets its value parsers on the first connections' options: every later set gets them too.
    if (firstOptions) {
      Object.assign(sql.options.parsers, firstOptions.parsers);
      Object.assign(sql.options.serializers, firstOptions.serializers);
    } else {
      firstOptions = sql.options;
    }
    return { sql, host, active: 0 };
  }

  /** The server behind `failed` cannot serve: new connections, to the next host if there is one. */
  function moveOn(failed: Generation) {
    health.failed();
    if (failed !== generation) return; // already moved on
    const ending = failed.sql
      .end({ timeout: timeoutSeconds })
      .catch(() => {})
      .finally(() => retiring.delete(ending));
    retiring.add(ending);
    generation = connectTo((failed.host + 1) % servers.length);
  }

  /**
   * A statement is done with the driver. `error` is what the database (or the connection) said;
   * none when Gatehouse itself gave the statement up (its deadline or its client), which says
   * nothing about the server but was judged when given up.
   */
  function settled(used: Generation, outcome: { error: unknown } | 'ok' | 'given up') {
    used.active--;
    if (outcome === 'ok') health.succeeded();
    else if (outcome !== 'given up') {
      const { error } = outcome;
      if (error instanceof ScopeEndedError) {
        // A transaction granted after its request was answered: nothing was asked of the server.
      } else if (isDatabaseUnavailable(error)) moveOn(used);
      else health.succeeded(); // the server answered, with an error of the statement's own
    }
    pump();
  }

  function pump() {
    if (!health.available) {
      if (waiting.length > 0) probe();
      return;
    }
    while (waiting.length > 0 && generation.active < max) {
      generation.active++;
      waiting.shift()!.grant(generation);
    }
  }

  /** One question at a time while the database is unavailable: is this a writable primary now? */
  function probe() {
    if (probing) return;
    probing = true;
    const probed = generation;
    const delay = Math.max(0, lastProbeAt + PROBE_INTERVAL_MS - Date.now());
    setTimeout(() => {
      const probeNumber = ++probesStarted;
      const query = probed.sql.unsafe(PROBE_SQL) as unknown as DriverQuery;
      withTimeout(query.then(assertWritablePrimary), timeoutMs).then(
        () => health.succeeded(),
        (error: unknown) => {
          moveOn(probed);
          // Those who waited for this probe get its answer; later ones wait for the next.
          for (const waiter of waiting.filter((entry) => entry.queuedAfterProbe < probeNumber)) {
            waiting.splice(waiting.indexOf(waiter), 1);
            waiter.reject(error);
          }
        },
      ).finally(() => {
        probing = false;
        lastProbeAt = Date.now();
        pump();
      });
    }, delay).unref();
  }

  function admit(scope: DatabaseScope | undefined): Promise<Generation> {
    if (scope?.signal.aborted) return Promise.reject(scope.signal.reason);
    if (health.available && waiting.length === 0 && generation.active < max) {
      generation.active++;
      return Promise.resolve(generation);
    }
    return new Promise((resolve, reject) => {
      const drop = () => {
        const index = waiting.indexOf(waiter);
        if (index >= 0) waiting.splice(index, 1);
        reject(scope!.signal.reason);
      };
      const waiter: Waiter = {
        queuedAfterProbe: probesStarted,
        grant: (granted) => {
          scope?.signal.removeEventListener('abort', drop);
          resolve(granted);
        },
        reject: (error) => {
          scope?.signal.removeEventListener('abort', drop);
          reject(error);
        },
      };
      scope?.signal.addEventListener('abort', drop, { once: true });
      waiting.push(waiter);
      pump();
    });
  }

  /** A statement with the driver whose scope ends: answered now; cancelled if already on a connection. */
  function giveUp(used: Generation, query: DriverQuery | null, scope: DatabaseScope) {
    if (query) cancelOnServer(query);
    // No answer within the deadline: take the connection for lost (a partition leaves it hanging for minutes).
    if (scope.signal.reason instanceof DatabaseTimeoutError) moveOn(used);
  }

  async function run<T>(issue: (sql: postgres.Sql) => DriverQuery, check?: (rows: unknown) => void): Promise<T> {
    const scope = currentDatabaseScope();
    const used = await admit(scope);
    let query: DriverQuery;
    try {
      query = issue(used.sql);
    } catch (error) {
      settled(used, 'given up');
      throw error;
    }
    let givenUp = false;
    const outcome = Promise.resolve(query).then(
      (rows) => {
        try {
          check?.(rows);
        } catch (error) {
          settled(used, { error });
          throw error;
        }
        settled(used, 'ok');
        return rows as T;
      },
      (error: unknown) => {
        settled(used, givenUp ? 'given up' : { error });
        throw error;
      },
    );
    if (!scope) return outcome;
    return bounded(outcome, scope, () => {
      givenUp = true;
      giveUp(used, query, scope);
    });
  }

  function unsafe(text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) {
    return lazyQuery((values) =>
      run((sql) => {
        const query = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], options);
        return (values ? query.values() : query) as unknown as DriverQuery;
      }),
    );
  }

  async function begin(...args: unknown[]): Promise<unknown> {
    const work = args.pop() as (tx: postgres.TransactionSql) => unknown;
    const mode = (args[0] as string | undefined) ?? '';
    const scope = currentDatabaseScope();
    const used = await admit(scope);
    const transaction = used.sql.begin(mode, (tx) => {
      // Granted too late: the caller was answered already; commit nothing.
      if (scope?.signal.aborted) throw scope.signal.reason;
      return work(scope ? boundTransaction(tx, scope) : tx);
    });
    let givenUp = false;
    const outcome = transaction.then(
      (result) => {
        settled(used, 'ok');
        return result;
      },
      (error: unknown) => {
        settled(used, givenUp ? 'given up' : { error });
        throw error;
      },
    );
    if (!scope) return outcome;
    return bounded(outcome, scope, () => {
      givenUp = true;
      giveUp(used, null, scope);
    });
  }

  async function checkWritablePrimary(): Promise<void> {
    await run((sql) => sql.unsafe(PROBE_SQL) as unknown as DriverQuery, assertWritablePrimary);
  }

  const facade = Object.assign(
    () => {
      throw new Error('Gatehouse sends SQL through drizzle (unsafe and begin); tagged templates are not routed');
    },
    { unsafe, begin, options: firstOptions },
  ) as unknown as postgres.Sql;

  return {
    sql: facade,
    health,
    checkWritablePrimary,
    async waitForWritablePrimary() {
      // Every host twice: one may be the primary that is still being promoted.
      for (let attempt = 1; ; attempt++) {
        try {
          return await checkWritablePrimary();
        } catch (error) {
          if (!isDatabaseUnavailable(error) || attempt >= servers.length * 2 + 1) throw error;
          await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
        }
      }
    },
    async end() {
      await generation.sql.end({ timeout: 5 });
      await Promise.all(retiring);
    },
  };
}
