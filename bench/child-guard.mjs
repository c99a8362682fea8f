import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Entry of every server the benchmark starts: `child-guard.mjs <entry>`. The benchmark holds our
 * stdin open and never writes to it, so when it ends (even killed outright) stdin closes and the
 * server goes with it instead of lingering on a port.
 * Plain JavaScript, so that it runs the built server under plain node as `npm start` does.
 */
const entry = process.argv[2];
if (!entry) {
  console.error('usage: child-guard.mjs <entry>');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
await import(pathToFileURL(resolve(entry)).href);
