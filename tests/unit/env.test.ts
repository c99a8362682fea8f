import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveJwtSecret } from '../../server/deps';
import { ConfigError, loadConfig } from '../../server/env';

describe('configuration', () => {
  it('defaults to the embedded database in ./.data on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, database: { kind: 'pglite-dir', dir: './.data/pglite' } });
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.refreshReuseGraceSeconds).toBe(10);
  });

  it('reads DATABASE_URL as PostgreSQL or in-memory PGlite', () => {
    const JWT_SECRET = 'yJ8s3kQp0vT2mXc7LwZ4rA9bN1eF6gHd';
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', JWT_SECRET }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
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

describe('TRUST_PROXY', () => {
  const trustProxy = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;

  it.each(['true', 'TRUE', 'True'])('refuses %s, saying what to give instead', (value) => {
    // Express with `true` takes the leftmost X-Forwarded-For entry, which the client writes.
    expect(() => trustProxy(value)).toThrow(ConfigError);
    expect(() => trustProxy(value)).toThrow(/TRUST_PROXY: .*X-Forwarded-For.*hop count.*address/s);
  });

  it('takes false, a hop count, or addresses and CIDR ranges of the proxies', () => {
    expect(trustProxy('false')).toBe(false);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('3')).toBe(3);
    expect(trustProxy('10.0.0.0/8, 192.168.0.0/16')).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(trustProxy('203.0.113.7')).toEqual(['203.0.113.7']);
    expect(trustProxy('::1,2001:db8::/32,::ffff:10.0.0.0/104')).toEqual(['::1', '2001:db8::/32', '::ffff:10.0.0.0/104']);
    // proxy-addr's names for the reserved ranges.
    expect(trustProxy('loopback, uniquelocal')).toEqual(['loopback', 'uniquelocal']);
  });

  it.each([
    '999.1.1.1',
    '10.0.0',
    '10.0.0.1/33',
    '10.0.0.1/8x',
    '10.0.0.1/',
    '::1/129',
    '::::',
    '1:2:3:4:5:6:7:8:9',
    '/',
    ',',
    '10.0.0.1,',
    '10.0.0.1,,10.0.0.2',
    'fe80::1/64/64',
    'a.b.c.d',
    'yes',
    '-1',
    '1.5',
  ])('refuses %s, naming TRUST_PROXY', (value) => {
    expect(() => trustProxy(value)).toThrow(ConfigError);
    expect(() => trustProxy(value)).toThrow('TRUST_PROXY');
  });

  it.each(['0.0.0.0/0', '::/0', '11', '1000'])('refuses %s, which would trust every hop as true does', (value) => {
    expect(() => trustProxy(value)).toThrow(/TRUST_PROXY/);
  });

  it('accepts nothing that Express refuses: every accepted value compiles as its trust proxy setting', () => {
    for (const value of ['1', '10.0.0.0/8, 192.168.0.0/16', '::1,2001:db8::/32', 'loopback', 'fe80::1%eth0', 'false']) {
      const app = express();
      expect(() => app.set('trust proxy', trustProxy(value)), value).not.toThrow();
    }
  });
});

describe('JWT_SECRET', () => {
  const STRONG = 'yJ8s3kQp0vT2mXc7LwZ4rA9bN1eF6gHd'; // 32 characters, 32 distinct
  const POSTGRES = 'postgres://u@h/db';

  it('takes a secret of 32 bytes and more', () => {
    expect(loadConfig({ JWT_SECRET: STRONG }).jwtSecret).toBe(STRONG);
    // Bytes, not characters: 16 two-byte letters are 32 bytes of key.
    expect(loadConfig({ JWT_SECRET: 'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ' }).jwtSecret).toBe('ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ');
  });

  it.each([
    ['31 bytes', STRONG.slice(0, 31)],
    ['32 identical characters', 'a'.repeat(32)],
    ['fewer than 10 distinct characters', 'abcdefghi'.repeat(4)],
    ['a pattern repeated', '0123456789ab'.repeat(3)],
    ['a placeholder', 'changeme-changeme-0123456789abcdef'],
    ['a placeholder, spelled otherwise', 'Change_Me_Please_xyz_0123456789AB'],
    ['a placeholder', 'replace-with-your-own-secret-0123456789'],
  ])('refuses %s, naming JWT_SECRET and never echoing the value', (_what, secret) => {
    let error: unknown;
    try {
      loadConfig({ JWT_SECRET: secret });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('JWT_SECRET');
    expect((error as Error).message).not.toContain(secret);
  });

  it('is required with a PostgreSQL database, whatever NODE_ENV says', () => {
    for (const NODE_ENV of [undefined, 'development', 'test', 'production']) {
      expect(() => loadConfig({ NODE_ENV, DATABASE_URL: POSTGRES }), String(NODE_ENV)).toThrow(/JWT_SECRET: required/);
    }
    expect(loadConfig({ DATABASE_URL: POSTGRES, JWT_SECRET: STRONG }).jwtSecret).toBe(STRONG);
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h/db', JWT_SECRET: STRONG }).jwtSecret).toBe(STRONG);
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://u@h/db' })).toThrow(/JWT_SECRET/);
  });

  it('may be left out for the embedded database, in a folder or in memory, outside production', () => {
    expect(loadConfig({}).jwtSecret).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'memory://' }).jwtSecret).toBeUndefined();
  });
});

describe('the server secret of the embedded database (resolveJwtSecret)', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is generated into the data folder once, then read back', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    const secret = resolveJwtSecret(config);
    expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(config.dataDir, 'jwt-secret'), 'utf8').trim()).toBe(secret);
    expect(resolveJwtSecret(config)).toBe(secret);
  });

  it('is a fresh random one for an in-memory database, written nowhere', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: 'memory://' });
    const first = resolveJwtSecret(config);
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
    expect(resolveJwtSecret(config)).not.toBe(first);
    expect(existsSync(join(dir, 'jwt-secret'))).toBe(false);
  });

  it('is JWT_SECRET when set, and then no file is written', () => {
    const dir = dataDir();
    const secret = 'yJ8s3kQp0vT2mXc7LwZ4rA9bN1eF6gHd';
    expect(resolveJwtSecret(loadConfig({ DATA_DIR: dir, JWT_SECRET: secret }))).toBe(secret);
    expect(existsSync(join(dir, 'jwt-secret'))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['only a newline', '\n'],
    ['too short', 'abcdefghijklmnop\n'],
    ['trivially weak', `${'x'.repeat(40)}\n`],
  ])('stops with a message naming the file when the file is %s', (_what, content) => {
    const dir = dataDir();
    const file = join(dir, 'jwt-secret');
    writeFileSync(file, content);
    const config = loadConfig({ DATA_DIR: dir });
    expect(() => resolveJwtSecret(config)).toThrow(ConfigError);
    expect(() => resolveJwtSecret(config)).toThrow(file);
    // Left as it is: replacing it would sign everyone out without a word.
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('stops with a message naming the file when it cannot be read', () => {
    const dir = dataDir();
    const file = join(dir, 'jwt-secret');
    mkdirSync(file);
    expect(() => resolveJwtSecret(loadConfig({ DATA_DIR: dir }))).toThrow(ConfigError);
    expect(() => resolveJwtSecret(loadConfig({ DATA_DIR: dir }))).toThrow(file);
  });
});

describe('AUDIT_RETENTION_DAYS', () => {
  it('defaults to 365 and takes a positive whole number of days', () => {
    expect(loadConfig({}).auditRetentionDays).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });

  it.each(['0', '-1', '1.5', 'forever'])('refuses %s, naming AUDIT_RETENTION_DAYS', (value) => {
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: value })).toThrow(/AUDIT_RETENTION_DAYS/);
  });
});
