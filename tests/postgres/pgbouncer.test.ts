import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/client';
import { createApiKey, expectStatus, login, registerAccount } from '../helpers/fixtures';
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from '../helpers/postgres';
import { ProcessGroup, remoteGatehouse } from '../helpers/process';
import { sessionIdOf } from '../helpers/webhooks';
import type { Gatehouse } from '../helpers/harness';

/** The longest PgBouncer may take to accept connections, and to stop. */
const PGBOUNCER_READY_MS = 15_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function pgbouncerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer || ls /usr/sbin/pgbouncer'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    throw new Error('pgbouncer is not installed: `apt-get install pgbouncer` (Debian 12 has 1.18), as .ci/run does');
  }
}

/**
 * PgBouncer in transaction mode on a free loopback port, in front of the test server, with a
 * config of its own in a temporary folder. It refuses to run as root: as root it runs as postgres.
 */
async function startPgBouncer(server: { host: string; port: number }): Promise<{ port: number; stop: () => Promise<void>; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n', { mode: 0o644 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      // Fewer server connections than the two instances' pools: statements of different clients share them.
      'default_pool_size = 6',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const binary = pgbouncerBinary();
  const asRoot = process.getuid?.() === 0;
  // setpriv execs pgbouncer itself, so the child's pid is pgbouncer's.
  const [command, args] = asRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', binary, join(dir, 'pgbouncer.ini')]]
    : [binary, [join(dir, 'pgbouncer.ini')]];
  const child: ChildProcess = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + PGBOUNCER_READY_MS;
  for (;;) {
    const probe = postgres({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', prepare: false, max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await probe`select 1`;
      await probe.end({ timeout: 1 });
      return { port, stop, output: () => output };
    } catch (error) {
      await probe.end({ timeout: 1 }).catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`PgBouncer did not accept connections: ${error instanceof Error ? error.message : error}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('two Gatehouse instances through PgBouncer in transaction mode (?prepare=false)', () => {
  const processes = new ProcessGroup();
  let database: FreshPostgresDatabase;
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
  let a: Gatehouse;
  let b: Gatehouse;

  beforeAll(async () => {
    database = await createFreshPostgresDatabase('pgbouncer');
    bouncer = await startPgBouncer({ host: database.host, port: database.port });
    const env = {
      PORT: '0',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${bouncer.port}/${database.name}?prepare=false`,
      JWT_SECRET: 'pgbouncer-test-jwt-secret-0123456789abcdefghij',
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    };
    // Both start at once on an empty database: migrations included, through the bouncer.
    const started = [processes.start(env, { runner: 'node' }), processes.start(env, { runner: 'node' })];
    const urls = await Promise.all(started.map((process) => process.url));
    [a, b] = urls.map((url) => remoteGatehouse(url)) as [Gatehouse, Gatehouse];
  }, 120_000);

  afterAll(async () => {
    await processes.killAll();
    await bouncer?.stop();
    await database?.drop();
  }, 60_000);

  it('serves the seed flow across both: key, sessions, revoke-session, refresh, logout, logout-all', { timeout: 60_000 }, async () => {
    const owner = await registerAccount(a);
    const key = { 'x-api-key': await createApiKey(b, owner) };
    const laptop = await login(b, owner, 'laptop');
    const phone = await login(a, owner, 'phone');

    const listed = await a.post('/auth/sessions', undefined, key);
    expectStatus(listed, 200);
    expect(listed.body.sessions).toHaveLength(3);
    expectStatus(await b.post('/auth/revoke-session', { sessionId: await sessionIdOf(a, laptop.bearer) }, key), 200);
    expectStatus(await a.post('/auth/me', undefined, laptop.bearer), 401);

    const rotated = await a.post('/auth/refresh', { refresh_token: phone.refreshToken }, key);
    expectStatus(rotated, 200);
    expectStatus(await b.post('/auth/me', undefined, { authorization: `Bearer ${rotated.body.access_token}` }), 200);
    expectStatus(await b.post('/auth/logout', { refresh_token: rotated.body.refresh_token }, key), 200);
    expectStatus(await a.post('/auth/refresh', { refresh_token: rotated.body.refresh_token }), 401);

    expectStatus(await a.post('/auth/logout-all', undefined, owner.bearer), 200);
    expectStatus(await b.post('/auth/me', undefined, owner.bearer), 401);
    expectStatus(await b.post('/auth/me', undefined, key), 200);
  });

  it('50 parallel refreshes of one token, spread over both, converge on one successor', { timeout: 60_000 }, async () => {
    const account = await registerAccount(b);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).post('/auth/refresh', { refresh_token: account.refreshToken })),
    );
    for (const answer of answers) expectStatus(answer, 200);
    expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
    const next = await a.post('/auth/refresh', { refresh_token: answers[0]!.body.refresh_token });
    expectStatus(next, 200);
    const [{ reused }] = await database.sql<[{ reused: number }]>`
      select count(*)::int as reused from sessions where revoked_reason = 'refresh_token_reused'`;
    expect(reused).toBe(0);
  });
});

describe('migrations through PgBouncer in transaction mode', () => {
  let database: FreshPostgresDatabase;
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;

  beforeAll(async () => {
    database = await createFreshPostgresDatabase('pgbouncer_migrate');
    bouncer = await startPgBouncer({ host: database.host, port: database.port });
  }, 60_000);

  afterAll(async () => {
    await bouncer?.stop();
    await database?.drop();
  }, 60_000);

  it('six instances migrating an empty database at once: one applies each migration, the others wait; no lock is left behind', { timeout: 60_000 }, async () => {
    const url = `postgres://postgres@127.0.0.1:${bouncer.port}/${database.name}?prepare=false`;
    const handles = await Promise.all(Array.from({ length: 6 }, () => openDatabase({ kind: 'postgres', url }, { poolSize: 3 })));
    try {
      // A lock stranded on a server connection makes a later migrate wait forever: bounded here.
      const migrateAll = () =>
        Promise.race([
          Promise.allSettled(handles.map((handle) => handle.migrate())),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('migrations still waiting after 20 s: a lock was left behind')), 20_000)),
        ]);
      const outcomes = await migrateAll();
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      // A second round, as after a restart, applies nothing and does not wait on a stranded lock.
      expect((await migrateAll()).filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
    }
    const journal = JSON.parse(readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };
    const [{ applied, distinct }] = await database.sql<[{ applied: number; distinct: number }]>`
      select count(*)::int as applied, count(distinct created_at)::int as distinct from drizzle.__drizzle_migrations`;
    expect({ applied, distinct }).toEqual({ applied: journal.entries.length, distinct: journal.entries.length });
    // A session-level lock taken through the bouncer stays on whichever server connection ran it.
    // pg_locks is the whole server's: only this database's locks count (other files run beside).
    const [{ held }] = await database.sql<[{ held: number }]>`select count(*)::int as held from pg_locks
      where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
    expect(held).toBe(0);
  });
});
