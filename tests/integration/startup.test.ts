import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../helpers/fixtures';
import { remoteGatehouse, startProcess, stop } from '../helpers/process';
import { buildServer } from '../helpers/start-command';

describe('starting Gatehouse the way the README says', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-data-'));
  // `npm start` = `npm run build`, then package.json's start command: these tests run exactly that.
  beforeAll(() => buildServer(), 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Two real process starts (PGlite in a folder, migrations): slow on a busy machine.
  it('serves on the embedded database, keeps its JWT secret and data across a restart', { timeout: 180_000 }, async () => {
    const first = startProcess({ PORT: '0', DATA_DIR: dataDir }, { runner: 'start' });
    const url = await first.url;
    const account = await registerAccount(remoteGatehouse(url));
    expect(first.output()).toContain(`${url}/docs`);
    expect(first.output()).toContain(`${url}/trpc`);
    expect(await stop(first.child)).toBe(0);

    const secretFile = join(dataDir, 'jwt-secret');
    expect(existsSync(secretFile)).toBe(true);
    expect(readFileSync(secretFile, 'utf8').trim().length).toBeGreaterThanOrEqual(32);

    const second = startProcess({ PORT: '0', DATA_DIR: dataDir }, { runner: 'start' });
    const secondUrl = await second.url;
    try {
      const me = await remoteGatehouse(secondUrl).post('/auth/me', undefined, account.bearer);
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(account.email);
    } finally {
      await stop(second.child);
    }
  });

  it('stops at once on a bad configuration value, naming the variable', { timeout: 60_000 }, async () => {
    const bad = startProcess({ PORT: 'not-a-port', DATA_DIR: dataDir }, { runner: 'start' });
    const { code } = await bad.exited;
    expect(code).not.toBe(0);
    expect(bad.output()).toContain('PORT');
  });

  /** How a process that must not start ended: its exit code, or 'listening' (then it is stopped). */
  async function refusedStart(env: Record<string, string>) {
    const started = startProcess(env, { runner: 'start' });
    const outcome = await Promise.race([started.exited.then(({ code }) => code), started.url.then(() => 'listening' as const)]);
    if (outcome === 'listening') await stop(started.child);
    return { outcome, output: started.output() };
  }
  const STACK_TRACE = /\n\s+at /;

  it('on PostgreSQL without JWT_SECRET, stops before connecting, naming JWT_SECRET', { timeout: 60_000 }, async () => {
    // Nothing listens on port 1: a process that connected before checking would fail on the connection instead.
    const { outcome, output } = await refusedStart({ PORT: '0', DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse' });
    expect(outcome, output).toBe(1);
    expect(output).toContain('JWT_SECRET: required');
    expect(output).not.toMatch(/ECONNREFUSED|connect/i);
    expect(output).not.toMatch(STACK_TRACE);
  });

  it('stops with a message naming the generated secret file when that file is empty', { timeout: 60_000 }, async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'gatehouse-empty-secret-'));
    try {
      const secretFile = join(emptyDir, 'jwt-secret');
      writeFileSync(secretFile, '');
      const { outcome, output } = await refusedStart({ PORT: '0', DATA_DIR: emptyDir });
      expect(outcome, output).toBe(1);
      expect(output).toContain(secretFile);
      expect(output).not.toMatch(STACK_TRACE);
      // Left for the operator to look at: a new secret would sign everyone out.
      expect(readFileSync(secretFile, 'utf8')).toBe('');
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
