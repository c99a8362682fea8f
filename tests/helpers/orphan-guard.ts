import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `node --import tsx tests/helpers/orphan-guard.ts server/main.ts`: runs the server in this same
 * process (so signals, SIGKILL included, reach it), and ends it when the test that started it
 * is gone. The test holds our stdin open and never writes to it; if the test worker dies before
 * its afterAll could stop us, stdin closes and the server does not linger on a port or database.
 */
const entry = process.argv[2];
if (!entry) {
  console.error('usage: orphan-guard.ts <entry.ts>');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
await import(pathToFileURL(resolve(entry)).href);
