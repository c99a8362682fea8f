import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Gatehouse, HttpResult } from './harness';

export interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  bearer: Record<string, string>;
}

/** Asserts a status and prints the whole response when it differs. */
export function expectStatus(result: HttpResult, status: number): void {
  expect(result.status, `unexpected response: ${JSON.stringify(result.body)}`).toBe(status);
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

/** A new organization with its first user, signed in. */
export async function registerAccount(
  gate: Gatehouse,
  overrides: { email?: string; password?: string; userAgent?: string; headers?: Record<string, string> } = {},
): Promise<Account> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? 'correct horse battery staple';
  const result = await gate.post(
    '/auth/register',
    {
      email,
      password,
      name: 'Test User',
      organization: { name: 'Test Org', type: 'enterprise', size: '11-50', primaryUse: 'support' },
    },
    { ...(overrides.userAgent ? { 'user-agent': overrides.userAgent } : {}), ...overrides.headers },
  );
  expectStatus(result, 201);
  return tokensToAccount(email, password, result.body);
}

export async function login(gate: Gatehouse, account: Pick<Account, 'email' | 'password'>, userAgent?: string) {
  const result = await gate.post(
    '/auth/login',
    { email: account.email, password: account.password },
    userAgent ? { 'user-agent': userAgent } : {},
  );
  expectStatus(result, 200);
  return tokensToAccount(account.email, account.password, result.body);
}

function tokensToAccount(email: string, password: string, body: { access_token: string; refresh_token: string }): Account {
  return {
    email,
    password,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    bearer: { authorization: `Bearer ${body.access_token}` },
  };
}

/** Creates an API key through the API, as its user would. */
export async function createApiKey(gate: Gatehouse, account: Account, name = 'test key'): Promise<string> {
  return (await createApiKeyWithId(gate, account, name)).key;
}

/** A new key and its id, for tests that go on to revoke it. */
export async function createApiKeyWithId(gate: Gatehouse, account: Account, name = 'test key'): Promise<{ key: string; id: string }> {
  const result = await gate.post('/auth/api-keys/create', { name }, account.bearer);
  expectStatus(result, 201);
  return { key: result.body.key, id: result.body.id };
}
