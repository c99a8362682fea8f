import { defineConfig } from 'vitest/config';

/** The PostgreSQL server of every developer machine and of CI (trust authentication, local only). */
const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Three runs, chosen by `--mode` (README, "Tests"):
 * - `npm test` (the default mode): tests/unit and tests/integration on in-memory PGlite. Needs
 *   nothing but Node, so it passes on a fresh machine.
 * - `npm run test:postgres` (`--mode postgres`): the same files on PostgreSQL, plus
 *   tests/postgres, which need a real server. Each file creates and drops a database of its own
 *   on TEST_DATABASE_URL's server, the local one when it is unset.
 * - `npm run test:browser` (`--mode browser`): tests/browser, in Debian's /usr/bin/chromium.
 * - `npm run test:package` (`--mode package`): tests/package, the client package packed with npm
 *   pack and installed into an empty project (needs the npm registry, or its cache).
 * A missing server or browser fails the run at once with what to do (the global setups).
 */
const SUITES: Record<string, string[]> = {
  test: ['tests/unit/**/*.test.{ts,tsx}', 'tests/integration/**/*.test.{ts,tsx}'],
  postgres: ['tests/unit/**/*.test.{ts,tsx}', 'tests/integration/**/*.test.{ts,tsx}', 'tests/postgres/**/*.test.ts'],
  browser: ['tests/browser/**/*.test.ts'],
  package: ['tests/package/**/*.test.ts'],
};

export default defineConfig(({ mode }) => {
  const include = SUITES[mode];
  if (!include) throw new Error(`unknown test mode "${mode}": use one of ${Object.keys(SUITES).join(', ')}`);
  return {
    test: {
      include,
      // Every file starts its own Gatehouse on its own database; two cores, two at a time.
      pool: 'forks',
      maxWorkers: 2,
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // Files and the tests in them run in a random order (the seed is printed): no test may lean
      // on what an earlier one left behind. `--sequence.seed=N` replays an order.
      sequence: { shuffle: true },
      ...(mode === 'postgres'
        ? {
            env: { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || LOCAL_POSTGRES_URL },
            globalSetup: ['tests/helpers/postgres-setup.ts'],
          }
        : {}),
      ...(mode === 'browser' ? { globalSetup: ['tests/helpers/browser-setup.ts'] } : {}),
    },
  };
});
