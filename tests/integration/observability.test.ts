import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, login, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';
import { metricValue, parsePrometheus, scrapeMetrics } from '../helpers/metrics';
import { jsonLines, ProcessGroup, remoteGatehouse, stop } from '../helpers/process';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('metrics and request ids', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    // The production limit on failed sign-ins (5 per account and address), so that a refusal can be counted.
    gate = await startGatehouse({ config: { rateLimits: { ...GENEROUS_RATE_LIMITS, signInFailuresPer15Minutes: 5 } } });
  }, 120_000);
  afterAll(() => gate?.close(), 60_000);

  it('GET /metrics is Prometheus text with the Gatehouse series', async () => {
    const response = await fetch(`${gate.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      'gatehouse_http_requests_total',
      'gatehouse_http_request_duration_seconds',
      'gatehouse_refreshes_total',
      'gatehouse_refresh_token_reuse_detections_total',
      'gatehouse_rate_limited_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(() => parsePrometheus(text)).not.toThrow();
  });

  it('counts requests by operation and status, and times them by operation', async () => {
    const account = await registerAccount(gate);
    const before = await scrapeMetrics(gate.url);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: 'not the password' }), 401);
    expectStatus(await httpPost(`${gate.url}/trpc/auth.sessions`, undefined, account.bearer), 200);
    const after = await scrapeMetrics(gate.url);

    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('gatehouse_http_requests_total', { operation: 'rest:auth.login', status: '200' })).toBe(2);
    expect(delta('gatehouse_http_requests_total', { operation: 'rest:auth.login', status: '401' })).toBe(1);
    expect(delta('gatehouse_http_requests_total', { operation: 'rpc:auth.sessions', status: '200' })).toBe(1);
    expect(delta('gatehouse_http_request_duration_seconds_count', { operation: 'rest:auth.login' })).toBe(3);
    // A sign-in hashes with argon2id: it takes measurable time, and the histogram has it.
    expect(delta('gatehouse_http_request_duration_seconds_sum', { operation: 'rest:auth.login' })).toBeGreaterThan(0.01);
    expect(metricValue(after, 'gatehouse_http_request_duration_seconds_bucket', { operation: 'rest:auth.login', le: '+Inf' })).toBe(
      metricValue(after, 'gatehouse_http_request_duration_seconds_count', { operation: 'rest:auth.login' }),
    );
    // Labels stay bounded: an unknown path is "other", never the path itself.
    await fetch(`${gate.url}/no/such/path/${uniqueEmail()}`);
    const text = await (await fetch(`${gate.url}/metrics`)).text();
    expect(text).toContain('operation="other",status="404"');
    expect(text).not.toContain('/no/such/path');
  });

  it('counts refreshes by outcome (rotated, grace_replay, reuse_detected, refused) and reuse detections', async () => {
    const account = await registerAccount(gate);
    const before = await scrapeMetrics(gate.url);

    const first = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }); // rotated
    expectStatus(first, 200);
    // The clock of the test instance stands still: a replay of the predecessor is inside the grace window.
    const replay = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }); // grace_replay
    expectStatus(replay, 200);
    expect(replay.body.refresh_token).toBe(first.body.refresh_token);
    const second = await gate.post('/auth/refresh', { refresh_token: first.body.refresh_token }); // rotated
    expectStatus(second, 200);
    const reused = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }); // reuse_detected
    expectStatus(reused, 401);
    expect(reused.body.reason).toBe('refresh_token_reused');
    const unknown = await gate.post('/auth/refresh', { refresh_token: 'x'.repeat(43) }); // refused
    expectStatus(unknown, 401);
    const afterRevocation = await gate.post('/auth/refresh', { refresh_token: second.body.refresh_token }); // refused
    expectStatus(afterRevocation, 401);

    const after = await scrapeMetrics(gate.url);
    const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('gatehouse_refreshes_total', { outcome: 'rotated' })).toBe(2);
    expect(delta('gatehouse_refreshes_total', { outcome: 'grace_replay' })).toBe(1);
    expect(delta('gatehouse_refreshes_total', { outcome: 'reuse_detected' })).toBe(1);
    expect(delta('gatehouse_refreshes_total', { outcome: 'refused' })).toBe(2);
    expect(delta('gatehouse_refresh_token_reuse_detections_total')).toBe(1);
    expect(delta('gatehouse_http_requests_total', { operation: 'rest:auth.refresh', status: '401' })).toBe(3);
  });

  it('counts rate-limit refusals by limit', async () => {
    const account = await registerAccount(gate);
    const before = await scrapeMetrics(gate.url);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      statuses.push((await gate.post('/auth/login', { email: account.email, password: 'not the password' })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const after = await scrapeMetrics(gate.url);
    const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('gatehouse_rate_limited_total')).toBe(2);
    expect(delta('gatehouse_rate_limited_total', { limit: 'signInFailuresPerAccountAndIp' })).toBe(2);
    expect(delta('gatehouse_http_requests_total', { operation: 'rest:auth.login', status: '429' })).toBe(2);
  });

  it('echoes a safe X-Request-Id and generates one otherwise', async () => {
    const echoed = await fetch(`${gate.url}/health`, { headers: { 'x-request-id': 'trace-42_a.b' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-42_a.b');

    const generated = await fetch(`${gate.url}/health`);
    expect(generated.headers.get('x-request-id')).toMatch(UUID);
    const another = await fetch(`${gate.url}/health`);
    expect(another.headers.get('x-request-id')).toMatch(UUID);
    expect(another.headers.get('x-request-id')).not.toBe(generated.headers.get('x-request-id'));

    // Anything that could forge a log line or carry markup is replaced, not echoed.
    for (const unsafe of ['<script>alert(1)</script>', 'a b', 'x'.repeat(65), '{"msg":"forged"}', 'id;drop']) {
      const response = await fetch(`${gate.url}/health`, { headers: { 'x-request-id': unsafe } });
      expect(response.headers.get('x-request-id'), unsafe).toMatch(UUID);
    }
    // On errors and on both faces too.
    const refused = await gate.post('/auth/sessions', undefined, { 'x-request-id': 'req-401' });
    expect(refused.headers.get('x-request-id')).toBe('req-401');
    const rpc = await httpPost(`${gate.url}/trpc/auth.me`, undefined, { 'x-request-id': 'req-rpc' });
    expect(rpc.headers.get('x-request-id')).toBe('req-rpc');
  });
});

describe('logs of a real process', () => {
  const processes = new ProcessGroup();
  afterAll(() => processes.killAll(), 30_000);

  it('are JSON lines with the request id, and no password, token, key or JWT secret ever appears', { timeout: 180_000 }, async () => {
    const jwtSecret = `log-test-jwt-secret-${'s'.repeat(32)}`;
    const started = processes.start(
      { PORT: '0', DATABASE_URL: 'memory://', LOG_LEVEL: 'info', JWT_SECRET: jwtSecret, NODE_ENV: 'production' },
      { runner: 'node' },
    );
    const url = await started.url;
    const gate = remoteGatehouse(url);
    const secrets: Record<string, string> = { jwtSecret };
    const remember = (label: string, value: string) => {
      expect(value, label).toEqual(expect.any(String));
      secrets[label] = value;
    };

    const password = 'Known-Passphrase-For-Log-Test-7f3a';
    const account = await registerAccount(gate, { password });
    remember('password', password);
    remember('registerAccess', account.accessToken);
    remember('registerRefresh', account.refreshToken);

    const wrongPassword = 'Wrong-Passphrase-Attempt-91cd';
    remember('wrongPassword', wrongPassword);
    const failed = await gate.post('/auth/login', { email: account.email, password: wrongPassword }, { 'x-request-id': 'log-failed-login' });
    expectStatus(failed, 401);

    const session = await login(gate, account);
    remember('loginAccess', session.accessToken);
    remember('loginRefresh', session.refreshToken);

    const refreshed = await gate.post('/auth/refresh', { refresh_token: session.refreshToken }, { 'x-request-id': 'log-refresh' });
    expectStatus(refreshed, 200);
    remember('refreshedAccess', refreshed.body.access_token);
    remember('refreshedRefresh', refreshed.body.refresh_token);
    const bearer = { authorization: `Bearer ${refreshed.body.access_token}` };

    const created = await gate.post('/auth/api-keys/create', { name: 'log test' }, { ...bearer, 'x-request-id': 'log-key' });
    expectStatus(created, 201);
    remember('apiKey', created.body.key);
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': created.body.key }), 200);
    expectStatus(await httpPost(`${url}/trpc/auth.me`, undefined, bearer), 200);

    // Refusals and odd input carry secrets too: a replayed token, a bad key, malformed JSON, an oversized body.
    expectStatus(await gate.post('/auth/refresh', { refresh_token: session.refreshToken }), 200); // grace replay
    const unknownRefresh = 'UnknownRefreshTokenValue_0123456789abcdefABCDEF';
    remember('unknownRefresh', unknownRefresh);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: unknownRefresh }), 401);
    const badKey = `gk_${'Z'.repeat(40)}`;
    remember('badKey', badKey);
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': badKey }), 401);
    const badJson = await gate.post('/auth/login', `{"email":"${account.email}","password":"${password}"`);
    expectStatus(badJson, 400);
    const oversized = await gate.post('/auth/login', JSON.stringify({ email: account.email, password: password.repeat(4000) }));
    expectStatus(oversized, 413);

    const newPassword = 'Changed-Passphrase-For-Log-Test-c0de';
    remember('newPassword', newPassword);
    expectStatus(await gate.post('/auth/change-password', { currentPassword: password, newPassword }, bearer), 200);
    expectStatus(await gate.post('/auth/logout', { refresh_token: refreshed.body.refresh_token }), 200);

    expect(await stop(started.child)).toBe(0);
    const output = started.output();

    // Every line is a JSON log line, apart from the start-up banner and the shutdown notice.
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const plainText = lines.filter((line) => !line.startsWith('{'));
    for (const line of plainText) {
      expect(line).toMatch(/^(Gatehouse listening on |  REST |  tRPC |  Docs |SIGTERM: finishing in-flight requests)/);
    }
    const logs = jsonLines(output);
    const requests = logs.filter((line) => line.msg === 'request' || line.msg === 'request failed');
    expect(requests.length).toBeGreaterThanOrEqual(14);
    for (const line of requests) {
      expect(line).toMatchObject({ requestId: expect.any(String), method: expect.any(String), operation: expect.any(String), status: expect.any(Number) });
      expect(line.level).toEqual(expect.any(Number));
      expect(line.time).toEqual(expect.any(Number));
    }
    expect(requests.find((line) => line.requestId === 'log-failed-login')).toMatchObject({ operation: 'rest:auth.login', status: 401 });
    expect(requests.find((line) => line.requestId === 'log-refresh')).toMatchObject({ operation: 'rest:auth.refresh', status: 200 });
    expect(requests.find((line) => line.requestId === 'log-key')).toMatchObject({ operation: 'rest:apiKeys.create', status: 201 });
    // No request failed with a 500 along the way.
    expect(requests.filter((line) => (line.status as number) >= 500)).toEqual([]);

    const leaked: string[] = [];
    for (const [label, secret] of Object.entries(secrets)) {
      if (output.includes(secret)) leaked.push(label);
      // Part of a secret is a leak too: the signature of a JWT, the first half of an opaque token.
      const part = secret.split('.').length === 3 ? secret.split('.')[2]! : secret.slice(0, Math.ceil(secret.length / 2));
      if (output.includes(part)) leaked.push(`${label} (part)`);
    }
    expect(leaked, `secrets found in the process output:\n${output}`).toEqual([]);
  });
});
