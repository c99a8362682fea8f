import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../server/trpc/init';
import { procedureMetas } from '../../server/trpc/root';
import { describeAuthFailures, protectedOperations } from '../helpers/auth-failures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * Who may call each procedure, as meant. A new procedure fails the first test until it is
 * here; once it is 'user' or 'session', it is in the suite below (read from the router).
 */
const ACCESS: Record<string, Access> = {
  'auth.register': 'anonymous',
  'auth.login': 'anonymous',
  // A refresh token alone proves what these need.
  'auth.refresh': 'optional',
  'auth.logout': 'optional',
  'auth.me': 'user',
  'auth.logoutAll': 'user',
  'auth.sessions': 'user',
  'auth.revokeSession': 'user',
  'auth.auditEvents': 'user',
  // Resource servers introspect with a key (or a Bearer token) of the token's organization.
  'auth.introspect': 'user',
  'auth.revokeOtherSessions': 'session',
  'auth.changePassword': 'session',
  'auth.reauthenticate': 'session',
  'apiKeys.list': 'session',
  'apiKeys.create': 'session',
  'apiKeys.revoke': 'session',
  'webhooks.list': 'session',
  'webhooks.create': 'session',
  'webhooks.delete': 'session',
  'webhooks.deliveries': 'session',
};

/** Inputs of the right shape for the protected procedures that take one. */
const BODIES: Record<string, unknown> = {
  'auth.revokeSession': { sessionId: '550e8400-e29b-41d4-a716-446655440000' },
  'auth.introspect': { token: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' },
  'auth.changePassword': { currentPassword: 'correct horse battery staple', newPassword: 'a different horse battery staple' },
  'auth.reauthenticate': { password: 'correct horse battery staple' },
  'apiKeys.create': { name: 'k' },
  'apiKeys.revoke': { id: 'x' },
  'webhooks.create': { url: 'https://example.com/hook' },
  'webhooks.delete': { id: 'x' },
  'webhooks.deliveries': { id: 'x' },
};

const PROTECTED = protectedOperations(BODIES);

describe('which procedures are protected', () => {
  it('every procedure has the access it is meant to have, and no procedure is unaccounted for', () => {
    expect(Object.fromEntries(procedureMetas().map(([procedure, meta]) => [procedure, meta?.access]))).toEqual(ACCESS);
  });

  it('the suite below covers every procedure that needs a user or a session', () => {
    const expected = Object.keys(ACCESS).filter((procedure) => ACCESS[procedure] === 'user' || ACCESS[procedure] === 'session');
    expect(PROTECTED.map((operation) => operation.procedure).sort()).toEqual(expected.sort());
    // A body for a procedure that is gone or open would no longer test anything.
    for (const procedure of Object.keys(BODIES)) expect(expected).toContain(procedure);
  });
});

describe('every protected operation', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  for (const operation of PROTECTED) describeAuthFailures(operation, () => gate);
});
