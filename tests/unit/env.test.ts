import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/env';

describe('configuration', () => {
  it('defaults to the embedded database in ./.data on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, database: { kind: 'pglite-dir', dir: './.data/pglite' } });
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.refreshReuseGraceSeconds).toBe(10);
  });

  it('reads DATABASE_URL as PostgreSQL or in-memory PGlite', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'pglite-memory' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ ACCESS_TOKEN_TTL_SECONDS: '-5' }, 'ACCESS_TOKEN_TTL_SECONDS'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ SESSION_IDLE_TIMEOUT_SECONDS: '100', SESSION_ABSOLUTE_TIMEOUT_SECONDS: '50' }, 'SESSION_IDLE_TIMEOUT_SECONDS'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
