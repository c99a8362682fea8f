import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { schedulePurge } from './domain/cleanup';
import { systemClock } from './clock';
import { openDatabase } from './db/client';
import { createDeps, resolveJwtSecret } from './deps';
import { ConfigError, loadConfig } from './env';
import { createHttpServer, listen } from './http-server';
import { createLogger } from './logging';
import { createMetrics } from './metrics';
import { startWebhookDelivery } from './webhook-delivery';

async function main() {
  let config;
  let jwtSecret: string;
  try {
    config = loadConfig();
    // Before the database is opened: an unfit secret file stops start-up at once.
    jwtSecret = resolveJwtSecret(config);
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
    jwtSecret,
    telemetry: metrics.telemetry,
    databaseHealth: database.health,
  });
  // The first instance to start creates the signing key; the others find it.
  await deps.signingKeys?.ready();
  const app = createApp({ deps, checkDatabase: database.ping, logger, metrics });
  if (config.benchFloorProcedure) logger.warn('BENCH_FLOOR_PROCEDURE=true: serving the benchmark no-op POST /auth/bench/noop');
  const stopPurge = schedulePurge(deps, {
    intervalSeconds: config.cleanupIntervalSeconds,
    onResult: ({ sessionsPurged, auditEventsPurged, signingKeysPurged, ranHere }) => {
      // "ranHere: false" means another instance held the job lock and did the work.
      logger.info({ sessionsPurged, auditEventsPurged, signingKeysPurged, ranHere }, 'purge of ended sessions');
    },
    onError: (error) => logger.error({ err: error }, 'purge of ended sessions failed'),
  });

  const webhooks = startWebhookDelivery({ deps, metrics, logger });

  // Should anything still escape, it is logged through the serializer that keeps query
  // parameters out (Node's own report prints the whole error), and the process stops as
  // Node would: its state is unknown, and a supervisor restarts it.
  const fatal = (error: unknown) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  const server = createHttpServer(app, { logger });
  await listen(server, config.port, config.host);
  const { port } = server.address() as AddressInfo;
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  const where = config.database.kind === 'postgres' ? 'PostgreSQL' : config.database.kind === 'pglite-memory' ? 'in-memory PGlite' : `PGlite in ${config.database.dir}`;
  console.log(`Gatehouse listening on ${base} (database: ${where})`);
  console.log(`  REST      ${base}/auth/...`);
  console.log(`  tRPC      ${base}/trpc`);
  console.log(`  Docs      ${base}/docs  (OpenAPI: ${base}/openapi.json)`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing in-flight requests`);
    stopPurge();
    const webhooksStopped = webhooks.stop();
    server.close(() => {
      webhooksStopped
        .then(() => database.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'closing the database failed');
            process.exit(1);
          },
        );
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
