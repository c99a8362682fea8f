import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `node [--import tsx] tests/helpers/orphan-guard.mjs <entry>`: runs a server in this same
 * process (so signals, SIGKILL included, reach it), and ends it when whoever started it is gone.
 * The starter (a test, or the benchmark) holds our stdin open and never writes to it; if it dies
 * before it could stop us, stdin closes and the server does not linger on a port or database.
 * Plain JavaScript, so that it also runs the built server under plain node, as `npm start` does.
 */
const entry = process.argv[2];
if (!entry) {
  console.error('usage: orphan-guard.mjs <entry>');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
await import(pathToFileURL(resolve(entry)).href);
