import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { schedulePurge } from './domain/cleanup';
import { systemClock } from './clock';
import { openDatabase } from './db/client';
import { createDeps, resolveJwtSecret } from './deps';
import { ConfigError, loadConfig } from './env';
import { createLogger } from './logging';
import { createMetrics } from './metrics';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const database = await openDatabase(config.database, {
    poolSize: config.databasePoolSize,
    timeoutSeconds: config.databaseTimeoutSeconds,
  });
  await database.migrate();
  const logger = createLogger(config.logLevel);
  const metrics = createMetrics({ processMetrics: true });
  const deps = createDeps({
    db: database.db,
    config,
    clock: systemClock,
    jwtSecret: resolveJwtSecret(config),
    telemetry: metrics.telemetry,
    databaseHealth: database.health,
  });
  const app = createApp({ deps, checkDatabase: database.ping, logger, metrics });
  const stopPurge = schedulePurge(deps, {
    intervalSeconds: config.cleanupIntervalSeconds,
    onResult: ({ sessionsPurged, ranHere }) => {
      // "ranHere: false" means another instance held the job lock and did the work.
      logger.info({ sessionsPurged, ranHere }, 'purge of ended sessions');
    },
    onError: (error) => logger.error({ err: error }, 'purge of ended sessions failed'),
  });

  const server = app.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    const where = config.database.kind === 'postgres' ? 'PostgreSQL' : config.database.kind === 'pglite-memory' ? 'in-memory PGlite' : `PGlite in ${config.database.dir}`;
    console.log(`Gatehouse listening on ${base} (database: ${where})`);
    console.log(`  REST      ${base}/auth/...`);
    console.log(`  tRPC      ${base}/trpc`);
    console.log(`  Docs      ${base}/docs  (OpenAPI: ${base}/openapi.json)`);
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing in-flight requests`);
    stopPurge();
    server.close(async () => {
      await database.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Gatehouse failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
