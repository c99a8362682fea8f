import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture';

/**
 * A database error inside a procedure is logged as unexpected, with what failed (its class,
 * the PostgreSQL code and constraint, the stack frames), but never with the query's
 * parameters: drizzle's message is "Failed query: <sql> params: <values>", and drivers put
 * values in their messages and details too ("Failing row contains (…)").
 */

const ORGANIZATION = { name: 'Log Org', type: 'enterprise', size: '11-50', primaryUse: 'support' } as const;

describe('logs of database errors', () => {
  let gate: Gatehouse;
  let logs: CapturedLogs;
  beforeAll(async () => {
    logs = captureLogs('info');
    // No reportError: unexpected errors go to the logger, as in production.
    gate = await startGatehouse({ logger: logs.logger });
  });
  afterAll(() => gate?.close());

  function unexpectedErrorLines(): Array<Record<string, any>> {
    return logs.lines().filter((line) => line.msg === 'unexpected error');
  }

  function expectNoneOf(values: Record<string, string>): void {
    const text = logs.text();
    const found = Object.entries(values)
      .filter(([, value]) => text.includes(value))
      .map(([label]) => label);
    expect(found, `found in the log:\n${text}`).toEqual([]);
    expect(text).not.toMatch(/Failed query|params:|insert into|update "|Failing row/i);
  }

  it('a CHECK constraint that the sign-up violates: a generic 500, and a log line with the code and constraint but no email, password or hash', async () => {
    const email = uniqueEmail('logged-violation');
    const password = 'Log-Test-Passphrase-5a1f';
    // Only this test's lines: the others of the file may have run before it, in any order.
    const earlier = unexpectedErrorLines().length;
    await gate.database.db.execute(sql.raw(`alter table users add constraint users_not_logged_test check (email not like 'logged-%')`));
    try {
      const rest = await gate.post('/auth/register', { email, password, name: 'Logged Name', organization: ORGANIZATION });
      expect(rest).toMatchObject({ status: 500, body: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
      expect(JSON.stringify(rest.body)).not.toMatch(/users_not_logged_test|23514|insert|logged-/);
      const rpc = await httpPost(`${gate.url}/trpc/auth.register`, { email: uniqueEmail('logged-rpc'), password, organization: ORGANIZATION }, {});
      expectStatus(rpc, 500);
      expect(JSON.stringify(rpc.body)).not.toMatch(/users_not_logged_test|23514|insert|logged-/);
    } finally {
      await gate.database.db.execute(sql.raw('alter table users drop constraint users_not_logged_test'));
    }

    const lines = unexpectedErrorLines().slice(earlier);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.level).toBe(50);
      const err = JSON.stringify(line.err);
      // What failed is still there: the error's class, the PostgreSQL code and the constraint, and where.
      expect(err).toContain('23514');
      expect(err).toContain('users_not_logged_test');
      expect(line.err.type).toEqual(expect.any(String));
      expect(line.err.stack).toMatch(/^\s+at /);
    }
    expectNoneOf({ email, password, hash: '$argon2id$', name: 'Logged Name', organization: 'Log Org' });
  });

  it('a column the procedure writes is gone: the code and routine, no user agent, address or ids', async () => {
    const account = await registerAccount(gate);
    const userAgent = 'Distinctive-Agent/9.7 (log test)';
    const earlier = unexpectedErrorLines().length;
    await gate.database.db.execute(sql.raw('alter table sessions rename column user_agent to user_agent_moved'));
    try {
      const login = await gate.post('/auth/login', { email: account.email, password: account.password }, { 'user-agent': userAgent });
      expect(login).toMatchObject({ status: 500, body: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
    } finally {
      await gate.database.db.execute(sql.raw('alter table sessions rename column user_agent_moved to user_agent'));
    }
    const lines = unexpectedErrorLines().slice(earlier);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    // 42703: undefined_column.
    expect(JSON.stringify(line.err)).toContain('42703');
    expectNoneOf({ email: account.email, password: account.password, userAgent, hash: '$argon2id$' });
  });

  it('an ordinary exception keeps its message and class', async () => {
    logs.logger.error({ err: new RangeError('the clock went backwards') }, 'unexpected error');
    const line = unexpectedErrorLines().at(-1)!;
    expect(line.err).toMatchObject({ type: 'RangeError', message: 'the clock went backwards' });
  });
});
