import { hash } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../server/db/schema';
import { expectStatus, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const organization = { name: 'Org', type: 'ngo', size: '1-10', primaryUse: 'sales' };

describe('passwords (NIST SP 800-63B, argon2id)', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const register = (password: string) =>
    gate.post('/auth/register', { email: uniqueEmail(), password, organization });

  it.each(['password123', 'Password1', 'qwertyuiop', 'iloveyou1'])('refuses a most-common password: %s', async (password) => {
    const result = await register(password);
    expect(result).toMatchObject({ status: 400, body: { reason: 'password_too_common' } });
  });

  it('has no composition rules: a long lowercase phrase is fine', async () => {
    expectStatus(await register('plain lowercase words only'), 201);
  });

  it('counts characters, not bytes: eight emoji are eight characters, seven are not enough', async () => {
    // Each of these emoji is two UTF-16 units: a length check on code units would count double.
    expectStatus(await register('🔑🔒🔐🚪🏰🌉🎈🎉'), 201);
    const short = await register('🔑🔒🔐🚪🏰🌉🎈');
    expectStatus(short, 400);
    expect(JSON.stringify(short.body)).toMatch(/password/);
  });

  it('accepts long passwords and never truncates them', async () => {
    const long = 'x'.repeat(200) + 'tail-1';
    const account = await registerAccount(gate, { password: long });
    expectStatus(await gate.post('/auth/login', { email: account.email, password: long }), 200);
    const truncated = await gate.post('/auth/login', { email: account.email, password: 'x'.repeat(200) + 'tail-2' });
    expectStatus(truncated, 401);
  });

  it('stores argon2id with at least 19 MiB, t=2, p=1', async () => {
    const account = await registerAccount(gate);
    const [row] = await gate.deps.db.select().from(users).where(eq(users.email, account.email));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=(19456|[2-9]\d{4,}),t=[2-9],p=1\$/);
    expect(row!.passwordHash).not.toContain(account.password);
  });

  it('upgrades a hash made with weaker parameters at the next sign-in', async () => {
    const account = await registerAccount(gate);
    const weak = await hash(account.password, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await gate.deps.db.update(users).set({ passwordHash: weak }).where(eq(users.email, account.email));
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
    const [row] = await gate.deps.db.select().from(users).where(eq(users.email, account.email));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
  });

  it('change-password applies the same policy', async () => {
    const account = await registerAccount(gate);
    const result = await gate.post(
      '/auth/change-password',
      { currentPassword: account.password, newPassword: 'password123' },
      account.bearer,
    );
    expect(result).toMatchObject({ status: 400, body: { reason: 'password_too_common' } });
  });
});
