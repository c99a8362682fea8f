import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { createDeps } from '../../server/deps';
import { runAdmin } from '../../server/cli/run';
import { loadConfig } from '../../server/env';
import { ManualClock } from '../helpers/clock';
import { openTestDatabase } from '../helpers/database';
import { expectStatus, uniqueEmail } from '../helpers/fixtures';
import { httpPost, TEST_JWT_SECRET, type HttpResult } from '../helpers/harness';

const REPO = new URL('../..', import.meta.url).pathname;
const DAY_SECONDS = 24 * 60 * 60;

/**
 * The database the CLI works on, of the suite's kind: a PGlite folder (one process at a time,
 * so CLI runs and the checks over HTTP take turns), or a fresh PostgreSQL database.
 */
interface CliDatabase {
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  release(handle: DatabaseHandle): Promise<void>;
  remove(): Promise<void>;
}

async function cliDatabase(): Promise<CliDatabase> {
  if (process.env.TEST_DATABASE_URL) {
    const { handle, url, drop } = await openTestDatabase();
    return {
      env: { DATABASE_URL: url! },
      open: async () => handle,
      release: async () => {},
      remove: async () => {
        await handle.close();
        await drop();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-'));
  return {
    env: { DATA_DIR: dataDir },
    open: () => openDatabase({ kind: 'pglite-dir', dir: join(dataDir, 'pglite') }),
    release: (handle) => handle.close(),
    remove: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * The entry point is run as a real process (`npm run admin`, `node server/cli/admin.ts`); the
 * other commands go through the same runAdmin in-process, since a process per command costs
 * seconds (tsx, then the database) and adds nothing a single spawn has not shown.
 */
describe('npm run admin', { timeout: 120_000 }, () => {
  let database: CliDatabase;
  beforeAll(async () => {
    database = await cliDatabase();
  });
  afterAll(() => database?.remove());

  const cliEnv = () => ({ ...database.env, JWT_SECRET: TEST_JWT_SECRET, NODE_ENV: 'test' });

  /** As an operator runs it: a process of its own. */
  function spawnAdmin(args: string[], { stdin, viaNpm = false }: { stdin?: string; viaNpm?: boolean } = {}) {
    const env: Record<string, string | undefined> = { ...process.env, ...cliEnv() };
    if (!database.env.DATABASE_URL) delete env.DATABASE_URL;
    const child = viaNpm
      ? spawn('npm', ['run', '--silent', 'admin', '--', ...args], { cwd: REPO, env })
      : spawn(process.execPath, ['--import', 'tsx', 'server/cli/admin.ts', ...args], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(stdin ?? '');
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
  }

  /** The same command, run in this process. */
  async function admin(args: string[], stdin = '') {
    let stdout = '';
    let stderr = '';
    const code = await runAdmin(args, {
      env: cliEnv(),
      out: (text) => (stdout += `${text}\n`),
      err: (text) => (stderr += `${text}\n`),
      readStdin: async () => stdin,
    });
    return { code, stdout, stderr };
  }

  async function adminJson(args: string[], stdin?: string): Promise<any> {
    const result = await admin([...args, '--json'], stdin);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  }

  /** A Gatehouse on the CLI's database for the length of `check`, to see the effect over HTTP. */
  async function overHttp(clock: ManualClock, check: (post: (path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult>, url: string) => Promise<void>) {
    const handle = await database.open();
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ...database.env });
    const deps = createDeps({ db: handle.db, config, clock, jwtSecret: TEST_JWT_SECRET });
    const app = createApp({ deps, checkDatabase: handle.ping, reportError: (error) => console.error(error) });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await check((path, body, headers = {}) => httpPost(url + path, body, headers), url);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.release(handle);
    }
  }

  const OWNER_PASSWORD = 'owner password 123';

  /** An organization of its own for each test, so that none leans on what another did. */
  async function createOrganization(label: string) {
    const owner = { email: uniqueEmail(label), password: OWNER_PASSWORD };
    const created = await adminJson(['create-org', '--name', `Org ${label}`, '--type', 'ngo', '--size', '500+', '--primary-use', 'market research',
      '--plan', 'basic', '--owner-email', owner.email, '--owner-password', owner.password]);
    return { owner, organizationId: created.organization.id as string, firstKey: created.apiKey as { id: string; key: string } };
  }

  it('--help lists every command', async () => {
    const result = await spawnAdmin(['--help'], { viaNpm: true });
    expect(result.code, result.stderr).toBe(0);
    for (const command of ['create-org', 'suspend-org', 'activate-org', 'set-plan', 'create-key', 'revoke-key', 'list-sessions', 'cleanup', 'rotate-signing-key']) {
      expect(result.stdout).toContain(command);
    }
  });

  it('invalid input says what is wrong, by flag, and exits 2 without touching the database', async () => {
    const result = await spawnAdmin(['create-org', '--name', 'X', '--type', 'company', '--size', '1-10', '--primary-use', 'sales', '--owner-email', 'not-an-email', '--owner-password', 'long enough pass']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--type: .*"government"/);
    expect(result.stderr).toMatch(/--owner-email: /);
    expect(result.stderr).not.toContain('Database:');

    const unknown = await admin(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command');
  });

  it('create-org takes every seed enum field and an owner, and prints the first API key once', async () => {
    const owner = { email: uniqueEmail('owner'), password: OWNER_PASSWORD };
    const spawned = await spawnAdmin(
      ['create-org', '--name', 'Acme Research', '--type', 'ngo', '--size', '500+', '--primary-use', 'market research', '--plan', 'basic',
        '--owner-email', owner.email, '--owner-name', 'Owner', '--owner-password-stdin', '--json'],
      { stdin: `${owner.password}\n` },
    );
    expect(spawned.code, spawned.stderr).toBe(0);
    // The password came from stdin and is never echoed; the key is printed this once.
    expect(spawned.stdout + spawned.stderr).not.toContain(owner.password);
    const created = JSON.parse(spawned.stdout);
    expect(created.organization).toMatchObject({ type: 'ngo', size: '500+', primaryUse: 'market research', plan: 'basic', status: 'active' });
    expect(created.owner).toMatchObject({ email: owner.email, name: 'Owner' });
    expect(created.apiKey.key).toMatch(/^gk_/);

    const again = await admin(['create-org', '--name', 'Dup', '--type', 'ngo', '--size', '1-10', '--primary-use', 'sales', '--owner-email', owner.email, '--owner-password', 'another password']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('create-key makes a key acting as a user; suspend-org stops the organization', async () => {
    const { owner, organizationId, firstKey } = await createOrganization('suspend');
    const secondKey = await adminJson(['create-key', '--email', owner.email.toUpperCase(), '--name', 'second']);
    expect(secondKey.key).toMatch(/^gk_/);
    expect(await adminJson(['suspend-org', '--org', organizationId])).toMatchObject({ status: 'suspended' });

    await overHttp(new ManualClock(), async (post) => {
      for (const key of [firstKey.key, secondKey.key]) {
        const refused = await post('/auth/me', undefined, { 'x-api-key': key });
        expectStatus(refused, 403);
        expect(refused.body.reason).toBe('organization_suspended');
      }
      expectStatus(await post('/auth/login', owner), 403);
    });
  });

  it('an unknown organization or user: a clear message and exit 1', async () => {
    const org = await admin(['activate-org', '--org', 'no-such-org']);
    expect(org.code).toBe(1);
    expect(org.stderr).toContain('No organization with id no-such-org');
    const user = await admin(['list-sessions', '--email', 'nobody@admin-cli.test']);
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('No user with email');
  });

  it('activate-org, set-plan and revoke-key take effect at once', async () => {
    const { owner, organizationId, firstKey } = await createOrganization('activate');
    const secondKey = await adminJson(['create-key', '--email', owner.email, '--name', 'second']);
    expect(await adminJson(['suspend-org', '--org', organizationId])).toMatchObject({ status: 'suspended' });
    expect(await adminJson(['activate-org', '--org', organizationId])).toMatchObject({ status: 'active' });
    expect(await adminJson(['set-plan', '--org', organizationId, '--plan', 'advanced'])).toMatchObject({ plan: 'advanced' });
    expect((await admin(['set-plan', '--org', organizationId, '--plan', 'platinum'])).code).toBe(2);
    await adminJson(['revoke-key', '--org', organizationId, '--key', firstKey.id]);

    await overHttp(new ManualClock(), async (post) => {
      const revoked = await post('/auth/me', undefined, { 'x-api-key': firstKey.key });
      expectStatus(revoked, 401);
      expect(revoked.body.reason).toBe('api_key_revoked');
      const me = await post('/auth/me', undefined, { 'x-api-key': secondKey.key });
      expectStatus(me, 200);
      expect(me.body.organization).toMatchObject({ plan: 'advanced', status: 'active', size: '500+', primaryUse: 'market research' });
      expectStatus(await post('/auth/login', owner), 200);
    });
  });

  it('list-sessions shows the active sessions of a user; cleanup purges the long-ended one', async () => {
    const { owner } = await createOrganization('sessions');
    // A month ago the owner signed in and out (that session is long over); now they sign in again.
    // No other test of this file ends a session, so this is the only one the purge is due to delete.
    const clock = new ManualClock(new Date(Date.now() - 30 * DAY_SECONDS * 1000));
    await overHttp(clock, async (post) => {
      const old = await post('/auth/login', owner, { 'user-agent': 'last month' });
      expectStatus(old, 200);
      expectStatus(await post('/auth/logout', { refresh_token: old.body.refresh_token }), 200);
      clock.advanceSeconds(30 * DAY_SECONDS);
      expectStatus(await post('/auth/login', owner, { 'user-agent': 'admin-cli test' }), 200);
    });

    const { sessions } = await adminJson(['list-sessions', '--email', owner.email]);
    expect(sessions.map((session: { userAgent: string }) => session.userAgent)).toEqual(['admin-cli test']);
    const cleanup = await spawnAdmin(['cleanup', '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(JSON.parse(cleanup.stdout)).toEqual({ sessionsPurged: 1, auditEventsPurged: 0, signingKeysPurged: 0, ranHere: true });
  });

  it('rotate-signing-key publishes a new key at once, which signs ten minutes later; a second run reports the one under way', async () => {
    const { owner } = await createOrganization('rotation');
    const kidSigning = async (post: (path: string, body?: unknown) => Promise<HttpResult>) => {
      const signedIn = await post('/auth/login', owner);
      expectStatus(signedIn, 200);
      return decodeProtectedHeader(signedIn.body.access_token).kid;
    };
    let before: string | undefined;
    await overHttp(new ManualClock(), async (post) => {
      before = await kidSigning(post);
    });

    const rotated = await admin(['rotate-signing-key']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const kid = /Published signing key (\S+) \(ES256\); it signs from (\S+), when (\S+) retires/.exec(rotated.stdout);
    expect(kid, rotated.stdout).not.toBeNull();
    expect(kid![3]).toBe(before);
    expect(new Date(kid![2]!).getTime() - Date.now()).toBeGreaterThan(9 * 60 * 1000);
    const again = await adminJson(['rotate-signing-key']);
    expect(again).toMatchObject({ created: false, kid: kid![1] });

    const clock = new ManualClock();
    await overHttp(clock, async (post, url) => {
      const published = (await fetch(`${url}/.well-known/jwks.json`).then((response) => response.json())) as { keys: Array<{ kid: string }> };
      expect(published.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([before, kid![1]]));
      expect(await kidSigning(post)).toBe(before);
      clock.advanceSeconds(10 * 60 + 1);
      expect(await kidSigning(post)).toBe(kid![1]);
    });
  });
});

describe('npm run admin reads the server configuration', { timeout: 120_000 }, () => {
  async function adminWith(env: Record<string, string>, args: string[]) {
    let stderr = '';
    const code = await runAdmin(args, { env, out: () => {}, err: (text) => (stderr += `${text}\n`), readStdin: async () => '' });
    return { code, stderr };
  }

  it('on PGlite in a folder it needs no JWT_SECRET: it generates one into that folder, as the server would', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-nosecret-'));
    try {
      const result = await adminWith({ DATA_DIR: dataDir }, ['list-sessions', '--email', 'nobody@example.test']);
      // 1: the command ran against the database and found no such user.
      expect(result, result.stderr).toMatchObject({ code: 1 });
      expect(result.stderr).toContain('No user with email');
      expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on PostgreSQL without JWT_SECRET it stops before connecting, naming JWT_SECRET (exit 2)', async () => {
    // Nothing listens on port 1: a connection attempt would fail differently.
    const result = await adminWith({ DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse' }, ['list-sessions', '--email', 'a@example.test']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('JWT_SECRET: required');
  });
});
