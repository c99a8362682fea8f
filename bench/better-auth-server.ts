import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import express from 'express';
import { Pool } from 'pg';

/**
 * The Better Auth arm: Better Auth 1.x on Express 5 as its Express guide mounts it, on its default
 * PostgreSQL adapter (Kysely over a `pg` Pool), in a database of its own on the same server as
 * Gatehouse's. Email and password sign-in; everything else left at its defaults except:
 * - the session cookie cache stays off (every call reads the session from the database, as
 *   Gatehouse's Bearer calls do),
 * - its in-memory rate limiter is off (the benchmark signs in far more often than it allows),
 * - telemetry is off (the benchmark runs offline).
 * It creates its own schema at start, with its own migrations (`getMigrations`).
 */
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const baseURL = `http://${host}:${port}`;

const pool = new Pool({
  connectionString: process.env.BETTER_AUTH_DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

const options = {
  database: pool,
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  emailAndPassword: { enabled: true },
  session: { cookieCache: { enabled: false } },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { level: 'error' as const },
};

const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

const app = express();
app.disable('x-powered-by');
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});
app.all('/api/auth/{*splat}', toNodeHandler(auth));
const server = app.listen(port, host);
process.on('SIGTERM', () => server.close(() => void pool.end().finally(() => process.exit(0))));
