import cluster from 'node:cluster';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

/**
 * Entry of every server the benchmark starts: `child-guard.ts <entry>`. The benchmark holds our
 * stdin open and never writes to it, so when it ends (even killed outright) stdin closes and the
 * server goes with it instead of lingering on a port. Cluster workers follow their primary.
 */
const entry = process.argv[2];
if (!entry) {
  console.error('usage: child-guard.ts <entry.ts>');
  process.exit(2);
}
if (cluster.isPrimary) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
await import(pathToFileURL(resolve(entry)).href);
