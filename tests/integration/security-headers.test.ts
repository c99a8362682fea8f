import express from 'express';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/** Headers helmet() itself sets on a bare Express app: what every Gatehouse answer must carry too. */
async function helmetHeaders(): Promise<Record<string, string>> {
  const app = express();
  app.use(helmet());
  app.get('/', (_req, res) => void res.json({}));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const plain = new Set(['date', 'etag', 'content-length', 'content-type', 'connection', 'keep-alive']);
    return Object.fromEntries([...response.headers].filter(([name]) => !plain.has(name)));
  } finally {
    server.close();
  }
}

describe("helmet's security headers", () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(async () => {
    await gate?.close();
  });

  it('are on every kind of answer, exactly as helmet() sets them', async () => {
    const expected = await helmetHeaders();
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    const answers = [
      await fetch(`${gate.url}/health`),
      await fetch(`${gate.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refresh_token":"x"}' }),
      await fetch(`${gate.url}/trpc/auth.me`),
      await fetch(`${gate.url}/no/such/path`),
    ];
    for (const answer of answers) {
      for (const [name, value] of Object.entries(expected)) expect(answer.headers.get(name), `${answer.url} ${name}`).toBe(value);
      expect(answer.headers.get('x-powered-by')).toBeNull();
    }
  });
});
