import { afterAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../helpers/fixtures';
import { ProcessGroup, remoteGatehouse, waitFor } from '../helpers/process';
import { inFlightPost, tryConnect } from '../helpers/raw-http';

// On the embedded database, so that it runs everywhere; the faults of a real PostgreSQL server
// (a cut connection, SIGKILL under load) are in tests/postgres/faults.test.ts.
const JWT_SECRET = 'shutdown-test-jwt-secret-0123456789abcdefghijklmnop';

const processes = new ProcessGroup();
afterAll(() => processes.killAll(), 60_000);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('SIGTERM', () => {
  it('finishes the requests in flight, refuses new connections, closes the database and exits 0', { timeout: 180_000 }, async () => {
    const started = processes.start(
      // Twelve sign-ins at once from one address: each is reserved against the limit while argon2 runs.
      { PORT: '0', DATABASE_URL: 'memory://', JWT_SECRET, LOG_LEVEL: 'warn', RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES: '100' },
      { runner: 'node' },
    );
    const url = await started.url;
    const gate = remoteGatehouse(url);
    const account = await registerAccount(gate);
    const credentials = { email: account.email, password: account.password };

    // Two sign-ins in progress on the server (it has read their headers), their bodies held back.
    const held = [inFlightPost(url, '/auth/login', credentials), inFlightPost(url, '/auth/login', credentials)];
    await Promise.all(held.map((request) => request.started));
    // And ten sign-ins (argon2id, ~65 ms of CPU each) started at once, their bodies sent in full.
    const burst = Array.from({ length: 10 }, () => inFlightPost(url, '/auth/login', credentials));
    await Promise.all(burst.map((request) => request.started));
    for (const request of burst) request.finish();

    started.child.kill('SIGTERM');
    const burstDone = burst.map((request) =>
      request.response.catch((error: Error) => ({ status: 0, body: error.message })),
    );
    await waitFor('the shutdown notice', () => started.output().includes('SIGTERM: finishing in-flight requests'), 20_000, 20);

    // New connections are refused while the old ones drain. (The notice is printed just before the
    // listening socket closes, so the first attempts may still get in.)
    await waitFor('new connections to be refused', async () => (await tryConnect(portOf(url))) === 'ECONNREFUSED', 5_000, 50);
    expect(started.child.exitCode).toBeNull();

    for (const request of held) request.finish();
    for (const response of await Promise.all(held.map((request) => request.response))) {
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.refresh_token).toEqual(expect.any(String));
    }
    for (const response of await Promise.all(burstDone)) {
      expect(response.status, JSON.stringify(response.body)).toBe(200);
    }

    // Exits by itself, cleanly: 0 only after the database closed without error.
    expect(await started.exited).toEqual({ code: 0, signal: null });
    expect(await tryConnect(portOf(url))).toBe('ECONNREFUSED');
    expect(started.output()).not.toMatch(/error/i);
  });
});
