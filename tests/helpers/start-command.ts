import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How `npm start` runs Gatehouse, for the tests and the benchmark that run it the same way. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run build`, as `npm start` runs it first (its `prestart`). */
export function buildServer(): void {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}

/** package.json's `start` command: node's flags, and the built entry it runs. */
export function startCommand(): { nodeArguments: string[]; entry: string } {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const [program, ...args] = scripts.start!.split(/\s+/);
  const entry = args.pop();
  if (program !== 'node' || !entry) throw new Error(`the start script no longer runs node <entry>: ${scripts.start}`);
  return { nodeArguments: args, entry };
}
