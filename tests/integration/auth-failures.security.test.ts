import { afterAll, beforeAll, describe } from 'vitest';
import { describeAuthFailures, type ProtectedOperation } from '../helpers/auth-failures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const PROTECTED: ProtectedOperation[] = [
  { path: '/auth/logout-all', access: 'user' },
  { path: '/auth/sessions', access: 'user' },
  { path: '/auth/revoke-session', body: { sessionId: '550e8400-e29b-41d4-a716-446655440000' }, access: 'user' },
  { path: '/auth/me', access: 'user' },
  { path: '/auth/api-keys', access: 'session' },
  { path: '/auth/api-keys/create', body: { name: 'k' }, access: 'session' },
  { path: '/auth/api-keys/revoke', body: { id: 'x' }, access: 'session' },
];

describe('every protected operation', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  for (const operation of PROTECTED) describeAuthFailures(operation, () => gate);
});
