import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '../../server/http-server';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { headerCases, METHODS, PATHS, pipelinedCases, problemWith, requestLineCases, type Case } from '../helpers/hostile-requests';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture';
import { jsonLines, ProcessGroup, stop } from '../helpers/process';
import { halfSend, mapConcurrently, rawExchange } from '../helpers/raw-socket';
import { buildServer } from '../helpers/start-command';

/**
 * Hostile bytes over raw sockets, as an attacker would send them: request lines, methods,
 * paths, headers, framings, pipelines and requests that never finish. After every batch the
 * process must still answer /health and nothing may have gone wrong inside it: no reported
 * unexpected error, no error log line, no uncaught exception or unhandled rejection (any of
 * which, in production, is a process that stops or a page to an operator).
 */

const login = '/auth/login';
const portOf = (gate: Gatehouse) => Number(new URL(gate.url).port);


describe('malformed requests over raw sockets', () => {
  let gate: Gatehouse;
  let logs: CapturedLogs;
  const reported: unknown[] = [];
  const uncaught: unknown[] = [];
  const recordUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', recordUncaught);
    process.on('unhandledRejection', recordUncaught);
    logs = captureLogs('info');
    gate = await startGatehouse({ logger: logs.logger, reportError: (error) => reported.push(error) });
  });
  afterAll(async () => {
    process.off('uncaughtException', recordUncaught);
    process.off('unhandledRejection', recordUncaught);
    await gate?.close();
  });

  /** After every batch: alive, and nothing went wrong inside. */
  async function expectUnharmed(): Promise<void> {
    const health = await fetch(`${gate.url}/health`, { signal: AbortSignal.timeout(2_000) });
    expect(health.status).toBe(200);
    // Emptied as they are checked, so that one batch's failure does not spill into the next.
    expect(uncaught.splice(0), 'uncaught exceptions or unhandled rejections').toEqual([]);
    expect(reported.splice(0), 'errors reported as unexpected').toEqual([]);
    expect(logs.errors(), 'error log lines').toEqual([]);
  }

  async function runBatch(cases: Case[], concurrency = 8): Promise<void> {
    const problems: string[] = [];
    await mapConcurrently(cases, concurrency, async (testCase) => {
      const answer = await rawExchange(portOf(gate), testCase.bytes, { waitMs: 3_000 });
      const problem = problemWith(testCase, answer);
      if (problem) problems.push(`${testCase.label}: ${problem}`);
    });
    expect(problems).toEqual([]);
    await expectUnharmed();
  }

  it('the server runs with explicit timeouts and header limits', () => {
    expect(gate.server.headersTimeout).toBe(HTTP_LIMITS.headersTimeoutMs);
    expect(gate.server.requestTimeout).toBe(HTTP_LIMITS.requestTimeoutMs);
    expect(gate.server.keepAliveTimeout).toBe(HTTP_LIMITS.keepAliveTimeoutMs);
    expect(gate.server.maxHeadersCount).toBe(HTTP_LIMITS.maxHeadersCount);
    // Seconds, not Node's minutes: a client that sends slowly cannot hold a connection for long.
    expect(HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(15_000);
    expect(HTTP_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(60_000);
    expect(HTTP_LIMITS.maxHeaderSizeBytes).toBeLessThanOrEqual(16 * 1024);
  });

  it(`survives ${METHODS.length * PATHS.length + 14} malformed request lines, methods and paths`, async () => {
    await runBatch(requestLineCases());
  });

  it('survives malformed, huge, duplicated and conflicting headers and framings', async () => {
    await runBatch(headerCases(), 4);
  });

  it('survives pipelined requests, GET // among them', async () => {
    await runBatch(pipelinedCases(), 4);
  });

  it('survives requests that are never finished, and clients that vanish mid-request', async () => {
    const port = portOf(gate);
    const partials = [
      'GET /hea',
      'GET /health HTTP/1.1\r\nHost: x\r\n',
      'GET // HTTP/1.1\r\nHost: x\r\nX-Slow: a',
      '\r\n\r\n\r\n',
      `POST ${login} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`,
      `POST /trpc/auth.login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`,
      `POST ${login} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ema`,
      `POST /trpc/auth.login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`,
      `POST ${login} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n`,
    ];
    const open = Array.from({ length: 5 }, () => partials.map((partial) => halfSend(port, partial))).flat();
    await new Promise((wait) => setTimeout(wait, 300));
    // Forty-five stalled connections hold nothing up.
    await expectUnharmed();
    // Then their clients vanish, mid-header and mid-body.
    for (const { socket } of open) socket.destroy();
    await Promise.all(open.map(({ closed }) => closed));
    await new Promise((wait) => setTimeout(wait, 200));
    await expectUnharmed();
  });
});

describe('requests that are too slow', () => {
  let gate: Gatehouse;
  let logs: CapturedLogs;
  const reported: unknown[] = [];
  beforeAll(async () => {
    logs = captureLogs('info');
    gate = await startGatehouse({
      logger: logs.logger,
      reportError: (error) => reported.push(error),
      // The production values are seconds; the mechanism is the same, sooner.
      httpLimits: { headersTimeoutMs: 600, requestTimeoutMs: 1_200, keepAliveTimeoutMs: 400, connectionsCheckingIntervalMs: 100 },
    });
  });
  afterAll(() => gate?.close());

  it('are answered 408 in JSON and closed, headers or body half-sent; idle keep-alive connections are closed', async () => {
    const port = portOf(gate);
    const started = Date.now();
    const headers = halfSend(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    const body = halfSend(port, `POST ${login} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`);
    const idle = halfSend(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const [headersAnswer, bodyAnswer, idleAnswer] = await Promise.all([headers.closed, body.closed, idle.closed]);
    expect(Date.now() - started).toBeLessThan(5_000);

    expect(headersAnswer.statuses).toEqual([408]);
    expect(headersAnswer.text).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(headersAnswer.text.slice(headersAnswer.text.indexOf('\r\n\r\n') + 4))).toEqual({
      message: expect.any(String),
      code: 'REQUEST_TIMEOUT',
    });
    expect(bodyAnswer.statuses).toEqual([408]);
    // The keep-alive connection got its answer, then was closed once idle.
    expect(idleAnswer.statuses).toEqual([200]);

    expect((await fetch(`${gate.url}/health`)).status).toBe(200);
    expect(reported).toEqual([]);
    expect(logs.errors()).toEqual([]);
  });
});

describe('the built server process', () => {
  const processes = new ProcessGroup();
  beforeAll(() => buildServer(), 120_000);
  afterAll(() => processes.killAll(), 30_000);

  it('takes the same bytes and stays up, with no error line and nothing on stderr', { timeout: 180_000 }, async () => {
    // package.json's start command on dist/, as `npm start` runs it.
    const started = processes.start({ PORT: '0', DATABASE_URL: 'memory://', LOG_LEVEL: 'info' }, { runner: 'start' });
    const url = await started.url;
    const port = Number(new URL(url).port);
    const problems: string[] = [];
    for (const cases of [requestLineCases(), headerCases(), pipelinedCases()]) {
      await mapConcurrently(cases, 8, async (testCase) => {
        const problem = problemWith(testCase, await rawExchange(port, testCase.bytes, { waitMs: 3_000 }));
        if (problem) problems.push(`${testCase.label}: ${problem}`);
      });
      expect((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).status).toBe(200);
    }
    expect(problems).toEqual([]);
    expect(started.child.exitCode).toBeNull();
    // Still up, then a clean stop: the process had not been wedged.
    expect(await stop(started.child)).toBe(0);
    const output = started.output();
    const failures = jsonLines(output).filter((line) => (line.level as number) >= 50);
    expect(failures, output.slice(-3_000)).toEqual([]);
    const plainText = output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    for (const line of plainText) {
      expect(line).toMatch(/^(Gatehouse listening on |  REST |  tRPC |  Docs |SIGTERM: finishing in-flight requests)/);
    }
  });
});
