import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Gatehouse } from './harness';
import { httpPost } from './harness';
import { startCommand } from './start-command';

const ROOT = new URL('../..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export interface GatehouseProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the base URL once the "listening on" line is printed; rejects if the process exits first. */
  url: Promise<string>;
  /** Resolves when the process has exited, with its exit code (null when ended by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /**
   * 'start' runs the command of package.json's `start` script (the built server under plain
   * node, with its flags), as `npm start` does after building: call `buildServer()` first.
   * 'tsx' runs `node_modules/.bin/tsx server/main.ts`, the sources as they are (`npm run dev`);
   * tsx runs the server in a child process of its own and relays signals. 'node' runs
   * `node --import tsx server/main.ts` (through tests/helpers/orphan-guard.mjs): one process, so
   * that a SIGKILL reaches the server itself, and one that ends if the test worker dies.
   */
  runner?: 'start' | 'tsx' | 'node';
}

function commandFor(runner: NonNullable<StartOptions['runner']>): [string, string[]] {
  if (runner === 'tsx') return [TSX, ['server/main.ts']];
  if (runner === 'node') return [process.execPath, ['--import', 'tsx', 'tests/helpers/orphan-guard.mjs', 'server/main.ts']];
  const { nodeArguments, entry } = startCommand();
  return [process.execPath, [...nodeArguments, entry]];
}

/** Runs Gatehouse with only the given environment on top of PATH. */
export function startProcess(env: Record<string, string>, { runner = 'tsx' }: StartOptions = {}): GatehouseProcess {
  const [command, args] = commandFor(runner);
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`exited with ${code ?? signal}: ${output}`)));
  });
  // A caller that never awaits `url` (a process expected to fail) must not cause an unhandled rejection.
  url.catch(() => {});
  return { child, output: () => output, url, exited };
}

/** SIGTERM, then waits for the exit; resolves with the exit code. */
export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** SIGKILL, then waits for the exit. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Every process a test file starts, so that `afterAll(() => processes.killAll())` leaves none
 * behind whatever happened in the tests.
 */
export class ProcessGroup {
  private readonly started: GatehouseProcess[] = [];

  start(env: Record<string, string>, options?: StartOptions): GatehouseProcess {
    const started = startProcess(env, options);
    this.started.push(started);
    return started;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.started.map((started) => kill(started.child)));
  }
}

/**
 * A client of a Gatehouse process for the fixtures (`registerAccount`, `login`, ...), which
 * only ever call `post`.
 */
export function remoteGatehouse(url: string): Gatehouse {
  const client: Pick<Gatehouse, 'url' | 'post'> = {
    url,
    post: (path, body, headers = {}) => httpPost(url + path, body, headers),
  };
  return client as Gatehouse;
}

/** Lines of a process's output that are JSON (its pino logs), parsed. */
export function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true, at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
