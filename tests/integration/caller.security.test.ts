import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../server/db/schema';
import { resolveCaller } from '../../server/domain/caller';
import { createApiKey, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * The caller every procedure receives carries what it needs of its user, never the password
 * hash: a procedure that logged or returned `ctx.caller` by mistake would leak nothing secret.
 */
describe('the resolved caller', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(async () => {
    await gate?.close();
  });

  it('holds id, email, name and createdAt of its user, by Bearer token and by API key, and no password hash', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    const [stored] = await gate.database.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, account.email));
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);
    for (const credentials of [
      { authorization: `Bearer ${account.accessToken}`, apiKey: undefined },
      { authorization: undefined, apiKey: key },
      { authorization: `Bearer ${account.accessToken}`, apiKey: key },
    ]) {
      const caller = await resolveCaller(gate.deps, credentials);
      if (caller.kind !== 'user') throw new Error('expected a signed-in caller');
      expect(Object.keys(caller.user).sort()).toEqual(['createdAt', 'email', 'id', 'name']);
      expect(caller.user.email).toBe(account.email);
      expect(JSON.stringify(caller)).not.toContain(stored!.passwordHash);
    }
  });
});
