import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appRouter } from '../../server/trpc/root';
import { createApiKey, expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * Property tests over real HTTP: thousands of generated bodies, bytes, content types,
 * header values and methods, sent to every REST operation (read from /openapi.json, so a
 * new operation is fuzzed without touching this file) and every tRPC procedure (read from
 * the router). For every answer: never a 5xx, always a JSON body, never a stack frame or
 * SQL text. And refused calls change nothing: after each test, its fuzzed account's
 * sessions, audit events and keys are the same as before it, and its refresh token was never
 * rotated. Every test has an account of its own, so the tests pass in any order.
 *
 * Reproduce a failure with the seed and path fast-check prints (FUZZ_SEED overrides the seed).
 * Requests go one at a time to 127.0.0.1: the rate stays that of a single client.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 8725);

/** One HTTP target: a REST path or a tRPC procedure. */
interface Target {
  label: string;
  transport: 'rest' | 'rpc';
  path: string;
  kind: 'query' | 'mutation';
  /**
   * True when the operation takes no input or only optional input: then any body is valid,
   * so the fuzzed account's own credentials must never reach it alone (logout-all with a
   * random body would rightly succeed). They go along with a bad key instead, which must
   * be refused before the operation runs.
   */
  acceptsAnyBody: boolean;
  /** Property names of the JSON body, for bodies shaped like the real ones. */
  bodyProperties: string[];
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface FuzzResponse {
  status: number;
  contentType: string | null;
  text: string;
}

/** What an answer must never contain, unless the request itself carried it (messages may echo a path or type). */
const LEAKS: { name: string; pattern: RegExp }[] = [
  { name: 'a stack frame', pattern: /\bat [\w$.<>[\] ]*\(?(?:file:\/\/|\/|node:)[^)\s]*:\d+/ },
  { name: 'a stack frame', pattern: /\n\s+at / },
  { name: 'a source path', pattern: /node_modules|\/work\/|\.ts:\d+/ },
  { name: 'SQL text', pattern: /\b(select\s.+\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from)\b/i },
  { name: 'a database error', pattern: /syntax error at or near|violates .* constraint|duplicate key|relation "|column "|invalid byte sequence/i },
  { name: 'a driver name', pattern: /postgres|pglite|drizzle/i },
];

const HTTP_METHODS_OTHER_THAN_POST = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;

// ---------- generators ----------

const printableAscii = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
/** What fetch lets through in a header value: no NUL, CR or LF; Latin-1 bytes are allowed. */
const headerByte = fc.oneof(
  { weight: 4, arbitrary: printableAscii },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)) },
);
const headerValue = fc.oneof(
  fc.string({ unit: headerByte, maxLength: 300 }),
  fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic Og==', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'gk_', 'gk_' + 'A'.repeat(43)),
  fc.string({ unit: printableAscii, maxLength: 80 }).map((value) => `Bearer ${value}`),
  fc.string({ unit: printableAscii, maxLength: 80 }).map((value) => `gk_${value}`),
  fc.string({ unit: printableAscii, minLength: 4000, maxLength: 9000 }),
);

/** Strings that are hard on a server: NUL bytes, lone surrogates, astral characters, right-to-left marks, long ones. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((value) => `${value}\u0000${value}`),
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\ufeff', '𝕏😀', 'a'.repeat(5000), "' or 1=1 --", '"; drop table users; --', '%00', '../../etc/passwd', '__proto__', 'constructor'),
);

const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, -0, 2 ** 64, 1e-320);

const jsonishValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }) },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: hugeNumber },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor', 'prototype')), fc.jsonValue({ maxDepth: 2 })),
  },
);

/**
 * Raw JSON texts that JSON.stringify would never write: numbers out of range, lone surrogate
 * escapes, nesting. Nesting deep enough to exhaust the stack has its own test below, on every operation.
 */
const rawJsonText = fc.oneof(
  fc.constantFrom(
    '1e999',
    '-1e999',
    '123456789012345678901234567890',
    '{"a":1e999}',
    '"\\ud800"',
    '{"\\u0000":"\\u0000"}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":1,"a":2}',
    'null',
    'true',
    '""',
    '[]',
    '{}',
  ),
  fc.integer({ min: 100, max: 3_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 100, max: 3_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);

/** Any JSON text a client could send: a serialised value (undefined and friends dropped by stringify) or a raw one. */
const jsonBody = fc.oneof(
  { weight: 4, arbitrary: jsonishValue.map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 1, arbitrary: rawJsonText },
);

/** Bytes that are not valid JSON, so never a valid input by accident. */
const notJsonBytes = fc.uint8Array({ maxLength: 2000 }).filter((bytes) => {
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return false;
  } catch {
    return true;
  }
});

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json; charset=utf-16',
    'application/json; charset=utf-16le',
    'application/json; charset=utf-32',
    'application/json; charset=latin1',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-7',
    'application/json; charset=klingon',
    'application/json; charset=',
    'application/json;;;',
    'APPLICATION/JSON',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'text/plain',
    'text/html',
    'application/xml',
    'application/octet-stream',
    '*/*',
    '',
  ),
  fc.string({ unit: printableAscii, maxLength: 60 }),
  fc.string({ unit: printableAscii, maxLength: 20 }).map((charset) => `application/json; charset=${charset}`),
);

const contentEncoding = fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x-unknown', 'gzip, gzip'), { nil: undefined });

/** The credentials a fuzzed request carries; 'own' ones are the fuzzed account's real ones. */
type CredentialChoice = 'none' | 'random' | 'own-bearer' | 'own-key' | 'own-bearer-with-bad-key';
const credentialChoice = fc.constantFrom<CredentialChoice>('none', 'random', 'own-bearer', 'own-key', 'own-bearer-with-bad-key');

const randomCredentialHeaders = fc
  .record({ authorization: fc.option(headerValue, { nil: undefined }), apiKey: fc.option(headerValue, { nil: undefined }) })
  .map(({ authorization, apiKey }) => ({
    ...(authorization === undefined ? {} : { authorization }),
    ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }),
  }));

const otherHeaders = fc.record(
  {
    'user-agent': headerValue,
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), headerValue),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml'),
  },
  { requiredKeys: [] },
);

// ---------- the suite ----------

// Each property sends hundreds of requests; on a busy machine that takes longer than the default 30 s.
describe('fuzzing every operation over real HTTP', { timeout: 180_000 }, () => {
  let gate: Gatehouse;
  let account: Account;
  let ownApiKey: string;
  let targets: Target[];
  let stateBefore: unknown;

  beforeAll(async () => {
    gate = await startGatehouse({ reportError: () => {} });
    targets = await discoverTargets(gate);
  });
  afterAll(() => gate?.close());

  beforeEach(async () => {
    account = await registerAccount(gate, { userAgent: 'Fuzzed Account Browser' });
    ownApiKey = await createApiKey(gate, account, 'fuzzed key');
    // Its first use stamps lastUsedAt; the clock then stands still, so no later call writes it again.
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': ownApiKey }), 200);
    stateBefore = await accountState();
  });

  // After every test: the calls it made were refused or read-only, so they changed nothing.
  afterEach(async () => {
    expect(await accountState()).toEqual(stateBefore);

    // Past the reuse grace window, a token the fuzzing had rotated would now be refused as reused.
    gate.clock.advanceSeconds(60);
    const refreshed = await gate.post('/auth/refresh', { refresh_token: account.refreshToken });
    expectStatus(refreshed, 200);
    // And it was current exactly once: replayed after the grace window, it is reuse.
    gate.clock.advanceSeconds(60);
    const replayed = await gate.post('/auth/refresh', { refresh_token: account.refreshToken });
    expectStatus(replayed, 401);
    expect(replayed.body.reason).toBe('refresh_token_reused');
  });

  /** Everything about the fuzzed account that a refused call could have changed. */
  async function accountState() {
    const [sessions, auditEvents, apiKeys, me] = await Promise.all([
      gate.post('/auth/sessions', undefined, account.bearer),
      gate.post('/auth/audit-events', { limit: 100 }, account.bearer),
      gate.post('/auth/api-keys', undefined, account.bearer),
      gate.post('/auth/me', undefined, account.bearer),
    ]);
    for (const result of [sessions, auditEvents, apiKeys, me]) expectStatus(result, 200);
    return { sessions: sessions.body, auditEvents: auditEvents.body, apiKeys: apiKeys.body, me: me.body };
  }

  function credentialHeaders(choice: CredentialChoice, target: Target, random: Record<string, string>): Record<string, string> {
    const ownAlone = choice === 'own-bearer' || choice === 'own-key';
    // An operation that any body satisfies would rightly act on the account's own credentials.
    if (ownAlone && target.kind === 'mutation' && target.acceptsAnyBody) choice = 'own-bearer-with-bad-key';
    switch (choice) {
      case 'none':
        return {};
      case 'random':
        return random;
      case 'own-bearer':
        return account.bearer;
      case 'own-key':
        return { 'x-api-key': ownApiKey };
      case 'own-bearer-with-bad-key':
        return { ...account.bearer, 'x-api-key': `gk_not-a-key-${random['x-api-key'] ?? ''}` };
    }
  }

  async function send(request: FuzzRequest): Promise<FuzzResponse> {
    const response = await fetch(gate.url + request.path, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
    });
    return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
  }

  /** The properties every answer has; the message shows the request and the answer. */
  function checkAnswer(request: FuzzRequest, response: FuzzResponse, options: { mustRefuse?: boolean } = {}): void {
    const shown = () =>
      `${request.method} ${request.path} headers=${JSON.stringify(request.headers).slice(0, 400)} body=${describeBody(request.body)}\n` +
      `=> ${response.status} ${response.contentType} ${response.text.slice(0, 600)}`;
    if (response.status >= 500) throw new Error(`5xx answer:\n${shown()}`);
    if (options.mustRefuse && response.status < 400) throw new Error(`accepted with the account's own credentials:\n${shown()}`);
    // Node's HTTP parser answers an oversized request head (URL plus headers over 16 KiB) with an
    // empty 431 before any Gatehouse code runs; anything Gatehouse itself answers has a JSON body.
    const refusedByHttpParser = response.status === 431 && response.text === '';
    const bodyless = request.method === 'HEAD' || response.status === 204 || response.status === 304 || refusedByHttpParser;
    if (!bodyless) {
      if (!/^application\/json\b/.test(response.contentType ?? '')) throw new Error(`answer is not labelled JSON:\n${shown()}`);
      try {
        JSON.parse(response.text);
      } catch {
        throw new Error(`answer is not JSON:\n${shown()}`);
      }
    }
    const requestText = `${request.path} ${JSON.stringify(request.headers)} ${describeBody(request.body, Infinity)}`;
    for (const { name, pattern } of LEAKS) {
      if (pattern.test(response.text) && !pattern.test(requestText)) throw new Error(`answer contains ${name}:\n${shown()}`);
    }
  }

  /** Runs one property per target, each with its own reproducible seed. */
  async function forEveryTarget<T>(
    numRuns: number,
    arbitrary: (target: Target) => fc.Arbitrary<T>,
    predicate: (target: Target, value: T) => Promise<void>,
    filter: (target: Target) => boolean = () => true,
  ): Promise<void> {
    for (const [index, target] of targets.entries()) {
      if (!filter(target)) continue;
      await fc.assert(
        fc.asyncProperty(arbitrary(target), (value) => predicate(target, value)),
        { numRuns, seed: SEED + index, verbose: 1 },
      );
    }
  }

  /** A POST of a JSON text to the target: to REST as the body, to tRPC as the input. */
  function jsonRequest(target: Target, text: string, headers: Record<string, string>, viaGet: boolean): FuzzRequest {
    if (target.transport === 'rpc' && viaGet) {
      return { method: 'GET', path: `${target.path}?input=${encodeURIComponent(text)}`, headers };
    }
    return { method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...headers }, body: text };
  }

  it('finds every REST operation in /openapi.json and every tRPC procedure', () => {
    const rest = targets.filter((target) => target.transport === 'rest').map((target) => target.path);
    const rpc = targets.filter((target) => target.transport === 'rpc').map((target) => target.path);
    // The floor is what exists today; new operations only add to it.
    expect(rest).toEqual(expect.arrayContaining(['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/sessions', '/auth/revoke-session', '/auth/me', '/auth/api-keys', '/auth/api-keys/create', '/auth/api-keys/revoke']));
    expect(rpc).toEqual(expect.arrayContaining(['/trpc/auth.login', '/trpc/auth.refresh', '/trpc/auth.logoutAll', '/trpc/apiKeys.create']));
    // An operation nothing can satisfy by accident keeps the own-credential fuzzing meaningful.
    expect(targets.find((target) => target.path === '/auth/logout-all')?.acceptsAnyBody).toBe(true);
    expect(targets.find((target) => target.path === '/auth/api-keys/create')?.acceptsAnyBody).toBe(false);
  });

  it('arbitrary JSON values and objects as body or tRPC input: no 5xx, JSON answers, nothing leaked', async () => {
    await forEveryTarget(
      30,
      () => fc.record({ text: jsonBody, credentials: credentialChoice, random: randomCredentialHeaders, other: otherHeaders, viaGet: fc.boolean() }),
      async (target, { text, credentials, random, other, viaGet }) => {
        const headers = { ...other, ...credentialHeaders(credentials, target, random) };
        const request = jsonRequest(target, text, headers, viaGet);
        const own = credentials.startsWith('own') && !credentials.endsWith('bad-key');
        checkAnswer(request, await send(request), { mustRefuse: own && target.kind === 'mutation' });
      },
    );
  });

  it('bodies shaped like the real ones, with hostile values: no 5xx, JSON answers, nothing leaked', async () => {
    await forEveryTarget(
      12,
      (target) =>
        fc.record({
          body: fc.dictionary(fc.constantFrom(...target.bodyProperties), fc.oneof(nastyString, hugeNumber, jsonishValue), { minKeys: 1 }),
          credentials: fc.constantFrom<CredentialChoice>('none', 'random'),
          random: randomCredentialHeaders,
          viaGet: fc.boolean(),
        }),
      async (target, { body, credentials, random, viaGet }) => {
        const request = jsonRequest(target, JSON.stringify(body), credentialHeaders(credentials, target, random), viaGet);
        checkAnswer(request, await send(request));
      },
      (target) => target.bodyProperties.length > 0,
    );
  });

  it('random bytes sent as application/json: no 5xx, JSON answers, nothing leaked', async () => {
    await forEveryTarget(
      12,
      () => fc.record({ bytes: notJsonBytes, credentials: credentialChoice, random: randomCredentialHeaders }),
      async (target, { bytes, credentials, random }) => {
        const request: FuzzRequest = {
          method: 'POST',
          path: target.path,
          headers: { 'content-type': 'application/json', ...credentialHeaders(credentials, target, random) },
          body: bytes,
        };
        const own = credentials.startsWith('own') && !credentials.endsWith('bad-key');
        checkAnswer(request, await send(request), { mustRefuse: own && target.kind === 'mutation' });
      },
    );
  });

  it('random content types, charsets and encodings: no 5xx, JSON answers, nothing leaked', async () => {
    await forEveryTarget(
      12,
      () =>
        fc.record({
          type: contentType,
          encoding: contentEncoding,
          body: fc.oneof(jsonBody.map((text) => Buffer.from(text, 'utf8')), notJsonBytes, fc.constant(undefined)),
          random: randomCredentialHeaders,
          useRandom: fc.boolean(),
        }),
      async (target, { type, encoding, body, random, useRandom }) => {
        // With a JSON type and a valid body the call could rightly succeed: only refused credentials here.
        const headers: Record<string, string> = { ...(useRandom ? random : {}), 'content-type': type };
        if (encoding !== undefined) headers['content-encoding'] = encoding;
        const request: FuzzRequest = { method: 'POST', path: target.path, headers, body };
        checkAnswer(request, await send(request));
      },
    );
  });

  it('random x-api-key and Authorization values: always 401, even beside a valid token; no 5xx, nothing leaked', async () => {
    await forEveryTarget(
      12,
      () =>
        fc.record({
          random: randomCredentialHeaders.filter((headers) => Object.keys(headers).length > 0),
          other: otherHeaders,
          besideOwnBearer: fc.option(headerValue, { nil: undefined }),
        }),
      async (target, { random, other, besideOwnBearer }) => {
        // Either random credentials alone, or the account's real token beside a random key: a
        // credential that is not valid fails the call, it never falls back to anonymous or to the token's user.
        const headers =
          besideOwnBearer === undefined ? { ...other, ...random } : { ...other, ...account.bearer, 'x-api-key': besideOwnBearer };
        const body = target.bodyProperties.length > 0 ? '{}' : undefined;
        const request: FuzzRequest = { method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...headers }, body };
        const response = await send(request);
        checkAnswer(request, response, { mustRefuse: true });
        // Headers over the 16 KiB limit are refused by the HTTP parser (431) before any credential is read.
        const refusedByHttpParser = response.status === 431;
        if (response.status !== 401 && !refusedByHttpParser) {
          throw new Error(`an invalid credential was not refused with 401: ${response.status} ${response.text}`);
        }
      },
      // Sign-up and sign-in with '{}' are refused for the body first; the other properties cover them.
      (target) => !/register|login/i.test(target.label),
    );
  });

  it('methods other than POST, with the account’s own credentials: refused, no 5xx, JSON answers', async () => {
    await forEveryTarget(
      8,
      () =>
        fc.record({
          method: fc.constantFrom(...HTTP_METHODS_OTHER_THAN_POST),
          credentials: fc.constantFrom<CredentialChoice>('own-bearer', 'own-key', 'none'),
          withJsonType: fc.boolean(),
          text: jsonBody,
        }),
      async (target, { method, credentials, withJsonType, text }) => {
        const headers: Record<string, string> = { ...credentialHeaders(credentials, target, {}) };
        if (withJsonType) headers['content-type'] = 'application/json';
        const hasBody = method !== 'GET' && method !== 'HEAD';
        const request: FuzzRequest = { method, path: target.path, headers, ...(hasBody ? { body: text } : {}) };
        // A tRPC query answers GET, as tRPC does, and tRPC answers HEAD with an empty 204 without
        // running the procedure; every other method that is not POST must be refused.
        const rpcRead = target.transport === 'rpc' && (method === 'HEAD' || (method === 'GET' && target.kind === 'query'));
        checkAnswer(request, await send(request), { mustRefuse: !rpcRead });
      },
    );
  });

  it('unknown paths, batches and percent-encoding under /auth and /trpc: no 5xx, JSON answers', async () => {
    const procedureNames = targets.filter((target) => target.transport === 'rpc').map((target) => target.label);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          prefix: fc.constantFrom('/auth/', '/api/auth/', '/trpc/'),
          segment: fc.oneof(
            fc.string({ unit: printableAscii, maxLength: 40 }).map((value) => encodeURIComponent(value)),
            fc.constantFrom('%', '%E0%A4%A', '%00', '..%2F..%2F', '%2e%2e/', 'auth.me%00', '__proto__', 'constructor', 'auth', 'auth.'),
            fc.uniqueArray(fc.constantFrom(...procedureNames), { minLength: 1, maxLength: 4 }).map((names) => `${names.join(',')}?batch=1`),
          ),
          method: fc.constantFrom('GET', 'POST'),
          text: jsonBody,
        }),
        async ({ prefix, segment, method, text }) => {
          const request: FuzzRequest = {
            method,
            path: prefix + segment,
            headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
            ...(method === 'POST' ? { body: text } : {}),
          };
          checkAnswer(request, await send(request));
        },
      ),
      { numRuns: 100, seed: SEED, verbose: 1 },
    );
  });

  it('JSON nested deeper than the stack allows, within the body limit: a 4xx on every operation, never a 500', async () => {
    for (const target of targets) {
      for (const text of [
        '['.repeat(20_000) + ']'.repeat(20_000),
        '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
      ]) {
        const request = jsonRequest(target, text, {}, false);
        checkAnswer(request, await send(request));
      }
    }
  });

  it("the account's own refresh token, sent with a bad credential to refresh and logout: refused every time", async () => {
    const operations = targets.filter((target) => target.bodyProperties.includes('refresh_token'));
    expect(operations.length).toBeGreaterThanOrEqual(4);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          target: fc.constantFrom(...operations),
          random: randomCredentialHeaders.filter((headers) => Object.keys(headers).length > 0),
          extra: fc.dictionary(nastyString, jsonishValue, { maxKeys: 3 }),
        }),
        async ({ target, random, extra }) => {
          const request: FuzzRequest = {
            method: 'POST',
            path: target.path,
            headers: { 'content-type': 'application/json', ...random },
            body: JSON.stringify({ ...extra, refresh_token: account.refreshToken }),
          };
          const response = await send(request);
          checkAnswer(request, response, { mustRefuse: true });
        },
      ),
      { numRuns: 40, seed: SEED, verbose: 1 },
    );
  });
});

/** The REST operations from /openapi.json and the tRPC procedures from the router. */
async function discoverTargets(gate: Gatehouse): Promise<Target[]> {
  const response = await fetch(`${gate.url}/openapi.json`);
  const document = (await response.json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const restByPath = new Map<string, { acceptsAnyBody: boolean; bodyProperties: string[] }>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(operations)) restByPath.set(path, describeRequestBody(operation));
  }

  // At run time the router keeps a flat record by dotted name ('auth.login'); its type is the nested tree.
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { openapi?: { path?: string } } } }>;
  const kindByRestPath = new Map<string, 'query' | 'mutation'>();
  const targets: Target[] = [];
  for (const [name, procedure] of Object.entries(procedures)) {
    const kind = procedure._def.type === 'query' ? 'query' : 'mutation';
    const restPath = procedure._def.meta?.openapi?.path;
    if (restPath) kindByRestPath.set(restPath, kind);
    // A procedure without a REST face has no description: assume any body satisfies it (the cautious choice).
    const described = restPath ? restByPath.get(restPath) : undefined;
    targets.push({ label: name, transport: 'rpc', path: `/trpc/${name}`, kind, ...(described ?? { acceptsAnyBody: true, bodyProperties: [] }) });
  }
  for (const [path, described] of restByPath) {
    // Unknown to the router (cannot happen today): treated as a mutation, the cautious choice.
    targets.push({ label: path, transport: 'rest', path, kind: kindByRestPath.get(path) ?? 'mutation', ...described });
  }
  return targets;
}

interface OpenApiOperation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { properties?: Record<string, unknown>; required?: string[] } }> };
}

function describeRequestBody(operation: OpenApiOperation): { acceptsAnyBody: boolean; bodyProperties: string[] } {
  const schema = operation.requestBody?.content?.['application/json']?.schema;
  const required = operation.requestBody?.required === true && (schema?.required?.length ?? 0) > 0;
  return { acceptsAnyBody: !required, bodyProperties: Object.keys(schema?.properties ?? {}) };
}

function describeBody(body: FuzzRequest['body'], limit = 300): string {
  if (body === undefined) return '(none)';
  if (typeof body === 'string') return JSON.stringify(body.slice(0, limit));
  return `bytes:${Buffer.from(body).toString('hex').slice(0, limit)}`;
}
