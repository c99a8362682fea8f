import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock';
import { openDatabase } from '../db/client';
import { createDeps, resolveJwtSecret } from '../deps';
import { ConfigError, loadConfig, type Config } from '../env';
import { AppError } from '../errors';
import { COMMANDS, type Command } from './commands';
import { CommandError, UsageError } from './validate';

// Exit codes: 0 done, 1 could not be done (unknown organization, taken email...), 2 invalid input.
const USAGE = 'npm run admin -- <command> [flags]   (add --json for machine-readable output)';

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return [
    'Gatehouse admin: operate on the database directly, without HTTP.',
    '',
    `Usage: ${USAGE}`,
    '',
    'Commands:',
    ...lines,
    '',
    'Run `npm run admin -- <command> --help` for its flags. The database is the one the server uses',
    '(DATABASE_URL, else PGlite in DATA_DIR): stop the server first when it runs on PGlite.',
  ].join('\n');
}

function commandHelp(name: string, command: Command): string {
  const flags = command.flags.map(({ name: flag, value, help: text }) => `  --${flag}${value ? ` <${value}>` : ''}`.padEnd(34) + text);
  return [`${command.summary}`, '', `Usage: npm run admin -- ${name} [flags]`, '', 'Flags:', ...flags, '  --json'.padEnd(34) + 'Print JSON'].join('\n');
}

function describeDatabase(config: Config): string {
  if (config.database.kind === 'postgres') return 'PostgreSQL (DATABASE_URL)';
  if (config.database.kind === 'pglite-memory') return 'in-memory PGlite (gone on exit)';
  return `PGlite in ${config.database.dir}`;
}

/** What the CLI touches outside itself; a test can pass its own and run commands in-process. */
export interface AdminIo {
  /** The environment to configure from; the process's when left out (read in env.ts only). */
  env?: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

/** Runs one admin command; resolves to the exit code. */
export async function runAdmin(argv: string[], io: AdminIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(error.message);
      return 2;
    }
    if (error instanceof CommandError || error instanceof AppError) {
      io.err(error.message);
      return 1;
    }
    // Unexpected: say what failed without dumping the database driver's internals.
    io.err(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function run(argv: string[], io: AdminIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}`);

  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      command.flags.map((flag) => [flag.name, { type: flag.value ? ('string' as const) : ('boolean' as const) }]),
    );
    ({ values } = parseArgs({ args: rest, options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun \`npm run admin -- ${name} --help\` for its flags.`);
  }
  if (values.help) {
    io.out(commandHelp(name, command));
    return 0;
  }
  const input = await command.parse(values, io.readStdin);

  const config = loadConfig(io.env);
  // Two processes on one PGlite folder corrupt it: refuse while the server holds it.
  if (config.database.kind === 'pglite-dir' && existsSync(join(config.database.dir, 'postmaster.pid'))) {
    throw new CommandError(
      `${config.database.dir} is in use (a Gatehouse is running on it?). Stop it first; if none runs, ` +
        `remove ${join(config.database.dir, 'postmaster.pid')} left by a crash.`,
    );
  }
  io.err(`Database: ${describeDatabase(config)}`);
  const database = await openDatabase(config.database, { poolSize: 2 });
  try {
    await database.migrate();
    const deps = createDeps({ db: database.db, config, clock: systemClock, jwtSecret: resolveJwtSecret(config) });
    const result = await command.run(deps, input);
    io.out(values.json ? JSON.stringify(result.json, null, 2) : result.text);
    return 0;
  } finally {
    await database.close();
  }
}
