import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../helpers/fixtures';
import { httpPost } from '../helpers/harness';

const ROOT = new URL('../..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Runs `server/main.ts` as `npm start` does, with only the given environment on top of PATH. */
function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string; url: Promise<string> } {
  const child = spawn(TSX, ['server/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  return { child, output: () => output, url };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('starting Gatehouse the way the README says', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Two real process starts (tsx, PGlite in a folder, migrations): slow on a busy machine.
  it('serves on the embedded database, keeps its JWT secret and data across a restart', { timeout: 180_000 }, async () => {
    const first = startProcess({ PORT: '0', DATA_DIR: dataDir });
    const url = await first.url;
    const gate = { post: (path: string, body?: unknown, headers: Record<string, string> = {}) => httpPost(url + path, body, headers) };
    const account = await registerAccount(gate as never);
    expect(first.output()).toContain(`${url}/docs`);
    expect(first.output()).toContain(`${url}/trpc`);
    expect(await stop(first.child)).toBe(0);

    const secretFile = join(dataDir, 'jwt-secret');
    expect(existsSync(secretFile)).toBe(true);
    expect(readFileSync(secretFile, 'utf8').trim().length).toBeGreaterThanOrEqual(32);

    const second = startProcess({ PORT: '0', DATA_DIR: dataDir });
    const secondUrl = await second.url;
    try {
      const me = await httpPost(`${secondUrl}/auth/me`, undefined, { authorization: `Bearer ${account.accessToken}` });
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(account.email);
    } finally {
      await stop(second.child);
    }
  });

  it('stops at once on a bad configuration value, naming the variable', { timeout: 60_000 }, async () => {
    const bad = startProcess({ PORT: 'not-a-port', DATA_DIR: dataDir });
    const code = await new Promise<number | null>((resolve) => bad.child.on('exit', resolve));
    bad.url.catch(() => {});
    expect(code).not.toBe(0);
    expect(bad.output()).toContain('PORT');
  });
});
