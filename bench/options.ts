import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_URL } from './database';

export interface BenchOptions {
  quick: boolean;
  adminUrl: string;
  sessions: number;
  /** Stored sessions for the second refresh measurement; 0 skips it. */
  scaleSessions: number;
  connections: number;
  poolSize: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Only refresh, the floor and validate arms and the reference arms (no Better Auth): for iterating on the hot path. */
  refreshOnly: boolean;
  /** When set, Gatehouse runs with --cpu-prof and writes its profile here. */
  profileDirectory: string | undefined;
}

const USAGE = `usage: npm run bench -- [--quick] [--sessions N] [--scale N] [--connections N] [--pool N] [--duration S]
  --quick         about a minute: 4,000 sessions, 2 s per scenario
  --sessions N    sessions seeded before the run (default 10000)
  --scale N       after the main run, grow to N sessions and measure refresh again, e.g. 1000000
                  (about one more minute on 2 cores; default 0, skipped)
  --connections N HTTP connections, and concurrency of the SQL arms (default 32)
  --pool N        PostgreSQL connections per process, server and SQL arms (default DATABASE_POOL_SIZE or 10)
  --duration S    seconds per scenario (default 10)
  --refresh-only  refresh, the floor and validate arms and the reference arms; no Better Auth
  --profile DIR   run Gatehouse under --cpu-prof, profile written to DIR (open it in Chrome DevTools)
Targets DATABASE_URL if set, else the local server (trust authentication); creates and drops its own database.`;

function positiveInteger(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"\n${USAGE}`);
  }
  return number;
}

/** The command line, as parseArgs reads it; what it refuses (an unknown option, a missing value) comes with the usage. */
function readArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        sessions: { type: 'string' },
        scale: { type: 'string' },
        connections: { type: 'string' },
        pool: { type: 'string' },
        duration: { type: 'string' },
        'refresh-only': { type: 'boolean', default: false },
        profile: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}

export function parseBenchOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const { values } = readArguments(argv);
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const durationSeconds = positiveInteger('duration', values.duration, quick ? 2 : 10);
  return {
    quick,
    adminUrl: env.DATABASE_URL || DEFAULT_ADMIN_URL,
    sessions: positiveInteger('sessions', values.sessions, quick ? 4_000 : 10_000),
    // Growing to a million sessions took 3 minutes on the reference machine: asked for, not default.
    scaleSessions: positiveInteger('scale', values.scale, 0, true),
    connections: positiveInteger('connections', values.connections, 32),
    poolSize: positiveInteger('pool', values.pool ?? (env.DATABASE_POOL_SIZE || undefined), 10),
    durationSeconds,
    warmupSeconds: Math.max(1, Math.round(durationSeconds / 3)),
    refreshOnly: values['refresh-only'] ?? false,
    profileDirectory: values.profile,
  };
}
