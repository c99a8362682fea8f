import { gzipSync } from 'node:zlib';
import type { RawExchange } from './raw-socket';

/**
 * Hostile requests as raw bytes, each with the answers it may get: request lines, methods,
 * paths, headers, framings and pipelines. Sent by tests/integration/malformed-requests.
 */
const CRLF = '\r\n';

/** One request and what its answer may be. */
export interface Case {
  label: string;
  bytes: string | Buffer | Array<string | Buffer>;
  /** Statuses allowed for the (first) answer; default: any 2xx to 4xx. */
  expectStatus?: number[];
  /** The server may close without a word (CONNECT and Upgrade have no handler). */
  mayCloseSilently?: boolean;
  /**
   * How many answers come back on this one connection (pipelining). Garbage after a valid
   * request gets its 400 only if the first answer is out by then: a refusal is never written
   * into a response in progress.
   */
  expectCount?: number | number[];
}

function request(method: string, path: string, headers: string[] = ['Host: gatehouse.test', 'Connection: close'], body = ''): string {
  return `${method} ${path} HTTP/1.1${CRLF}${headers.map((header) => header + CRLF).join('')}${CRLF}${body}`;
}

function post(path: string, headers: string[], body: string | Buffer): Buffer {
  const head = request('POST', path, ['Host: gatehouse.test', 'Connection: close', ...headers]);
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

export const METHODS = ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'FOO', 'get', 'M-SEARCH', 'PROPFIND'];
export const PATHS = [
  '//',
  '///',
  '//a:b@',
  '//[',
  '//[::1',
  '//a:b@c:99999/',
  '/%zz',
  '/%00',
  '/%',
  '/%ff%fe',
  '/%c0%af',
  '/..%2f..%2fetc%2fpasswd',
  '/../../etc/passwd',
  '/./health',
  '/health/',
  '/health?%zz=%zz&a[b][c][d][e][f]=1',
  '/trpc//',
  '/trpc/%zz',
  '/trpc/auth.me?batch=1&input=%zz',
  '/trpc/auth.me?input={',
  '/trpc/,,,?batch=1',
  '/trpc/__proto__',
  '/trpc/auth.__proto__.constructor',
  '/api/auth//',
  '/api/auth/%zz',
  '/auth/%2e%2e/health',
  '/auth//login',
  '/docs//',
  '/docs/%zz',
  '/docs/../openapi.json',
  'http://example.test/health',
  'http://a:b@[/',
  'http://[::1]:99999/',
  '*',
  `/${'a'.repeat(6_000)}`,
  `/health?${'q=1&'.repeat(2_000)}`,
  '/\u00ff\u00fe',
];

export function requestLineCases(): Case[] {
  const cases: Case[] = [];
  for (const method of METHODS) {
    for (const path of PATHS) {
      const headers = ['Host: gatehouse.test', 'Connection: close', ...(method === 'POST' ? ['Content-Length: 0'] : [])];
      cases.push({ label: `${method} ${path.slice(0, 60)}`, bytes: request(method, path, headers) });
    }
  }
  cases.push({ label: 'CONNECT', bytes: request('CONNECT', 'gatehouse.test:443'), mayCloseSilently: true });
  cases.push({ label: 'PRI (HTTP/2 preface)', bytes: `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`, expectStatus: [400, 505] });
  // llhttp reads any one-digit version; what matters is that nothing breaks.
  cases.push({ label: 'HTTP/2.0 version', bytes: `GET /health HTTP/2.0${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}`, expectStatus: [200, 400, 505] });
  cases.push({ label: 'HTTP/9.9 version', bytes: `GET /health HTTP/9.9${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400, 505] });
  cases.push({ label: 'extra token in request line', bytes: `GET /health HTTP/1.1 extra${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'double spaces', bytes: `GET  /health  HTTP/1.1${CRLF}Host: x${CRLF}Connection: close${CRLF}${CRLF}`, expectStatus: [200, 400] });
  cases.push({ label: 'tab separated', bytes: `GET\t/health\tHTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'control byte in path', bytes: `GET /a\u0001b HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'space in path', bytes: `GET /a b/c HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'no path', bytes: `GET HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'lower-case http version', bytes: `GET /health http/1.1${CRLF}Host: x${CRLF}${CRLF}`, expectStatus: [400] });
  cases.push({ label: 'binary garbage', bytes: Buffer.from(Array.from({ length: 512 }, (_, index) => (index * 7919 + 13) % 256)), expectStatus: [400] });
  cases.push({ label: 'TLS ClientHello', bytes: Buffer.from('16030100a5010000a10303' + '00'.repeat(64), 'hex'), expectStatus: [400] });
  cases.push({ label: 'request line of 20 kB', bytes: request('GET', `/${'x'.repeat(20_000)}`), expectStatus: [431] });
  return cases;
}

const login = '/auth/login';
const loginBody = JSON.stringify({ email: 'someone@example.test', password: 'not the password' });
const chunked = ['Content-Type: application/json', 'Transfer-Encoding: chunked'];
const surrogateLogin = '{"email":"\\ud800@x.test","password":"whatever it is"}';

export function headerCases(): Case[] {
  const many = (count: number, size: number) => Array.from({ length: count }, (_, index) => `X-Filler-${index}: ${'v'.repeat(size)}`);
  return [
    { label: 'one header of 20 kB', bytes: request('GET', '/health', ['Host: x', `X-Big: ${'a'.repeat(20_000)}`]), expectStatus: [431] },
    { label: '200 headers of 100 bytes', bytes: request('GET', '/health', ['Host: x', ...many(200, 100)]), expectStatus: [431] },
    { label: '3,000 tiny headers', bytes: request('GET', '/health', ['Host: x', ...many(3_000, 0)]), expectStatus: [431] },
    { label: '500 small headers under the size limit', bytes: request('GET', '/health', ['Host: x', 'Connection: close', ...many(500, 1)]), expectStatus: [200] },
    { label: 'x-api-key of 10 kB', bytes: request('GET', '/trpc/auth.me', ['Host: x', 'Connection: close', `x-api-key: gk_${'A'.repeat(10_000)}`]), expectStatus: [401] },
    { label: 'Bearer of latin1 bytes', bytes: request('GET', '/trpc/auth.me', ['Host: x', 'Connection: close', `Authorization: Bearer \u00ff\u00fe\u0080\u00e9`]), expectStatus: [401] },
    { label: 'Bearer with a control byte', bytes: request('GET', '/trpc/auth.me', ['Host: x', `Authorization: Bearer a\u0001b`]), expectStatus: [400] },
    { label: 'two different Content-Length', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 5', 'Content-Length: 6'], '{}'), expectStatus: [400] },
    { label: 'two equal Content-Length', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 2'], '{}'), expectStatus: [400] },
    { label: 'Content-Length: abc', bytes: post(login, ['Content-Type: application/json', 'Content-Length: abc'], '{}'), expectStatus: [400] },
    { label: 'Content-Length: -1', bytes: post(login, ['Content-Type: application/json', 'Content-Length: -1'], '{}'), expectStatus: [400] },
    { label: 'Content-Length: +2', bytes: post(login, ['Content-Type: application/json', 'Content-Length: +2'], '{}'), expectStatus: [400] },
    { label: 'Content-Length: 1e3', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 1e3'], '{}'), expectStatus: [400] },
    { label: 'Content-Length: 2, 2', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 2, 2'], '{}'), expectStatus: [400] },
    { label: 'Content-Length of 20 digits', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 99999999999999999999'], '{}'), expectStatus: [400] },
    { label: 'Content-Length of 10 GB', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 10000000000'], '{}'), expectStatus: [413] },
    { label: 'Content-Length and Transfer-Encoding', bytes: post(login, [...chunked, 'Content-Length: 7'], `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`), expectStatus: [400] },
    { label: 'Transfer-Encoding: chunked, identity', bytes: post(login, ['Content-Type: application/json', 'Transfer-Encoding: chunked, identity'], '{}'), expectStatus: [400] },
    { label: 'Transfer-Encoding: gzip', bytes: post(login, ['Content-Type: application/json', 'Transfer-Encoding: gzip'], '{}'), expectStatus: [400] },
    { label: 'Transfer-Encoding: xchunked', bytes: post(login, ['Content-Type: application/json', 'Transfer-Encoding: xchunked'], '{}'), expectStatus: [400] },
    { label: 'Transfer-Encoding twice', bytes: post(login, [...chunked, 'Transfer-Encoding: chunked'], `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`) },
    { label: 'chunk size not hex', bytes: post(login, chunked, `zz${CRLF}{}${CRLF}0${CRLF}${CRLF}`), expectStatus: [400] },
    { label: 'chunk size overflowing 64 bits', bytes: post(login, chunked, `ffffffffffffffffffff${CRLF}{}${CRLF}`), expectStatus: [400] },
    { label: 'chunk longer than its size', bytes: post(login, chunked, `2${CRLF}{}XYZ${CRLF}0${CRLF}${CRLF}`), expectStatus: [400] },
    { label: 'negative chunk size', bytes: post(login, chunked, `-2${CRLF}{}${CRLF}0${CRLF}${CRLF}`), expectStatus: [400] },
    { label: 'chunk extensions of 20 kB', bytes: post(login, chunked, `2;${'e'.repeat(20_000)}${CRLF}{}${CRLF}0${CRLF}${CRLF}`), expectStatus: [400, 413] },
    { label: 'chunked body over the 100 kB limit', bytes: post(login, chunked, `${(200_000).toString(16)}${CRLF}${'a'.repeat(200_000)}${CRLF}0${CRLF}${CRLF}`), expectStatus: [413] },
    { label: 'chunked tRPC body over the limit', bytes: post('/trpc/auth.login', chunked, `${(200_000).toString(16)}${CRLF}${'a'.repeat(200_000)}${CRLF}0${CRLF}${CRLF}`), expectStatus: [413] },
    { label: 'gzip bomb', bytes: post(login, ['Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${gzipSync(Buffer.alloc(20_000_000)).length}`], gzipSync(Buffer.alloc(20_000_000))), expectStatus: [413, 415] },
    { label: 'gzip that is not gzip', bytes: post(login, ['Content-Type: application/json', 'Content-Encoding: gzip', 'Content-Length: 8'], 'notgzip!'), expectStatus: [400, 415] },
    { label: 'Content-Encoding: br, gzip, x', bytes: post(login, ['Content-Type: application/json', 'Content-Encoding: br, gzip, x', 'Content-Length: 2'], '{}'), expectStatus: [415] },
    { label: 'charset utf-16', bytes: post(login, ['Content-Type: application/json; charset=utf-16', `Content-Length: ${loginBody.length}`], loginBody), expectStatus: [400, 415] },
    { label: 'charset of 1 kB', bytes: post(login, [`Content-Type: application/json; charset=${'x'.repeat(1_000)}`, `Content-Length: ${loginBody.length}`], loginBody), expectStatus: [415] },
    { label: 'invalid UTF-8 body', bytes: post(login, ['Content-Type: application/json', 'Content-Length: 14'], Buffer.from('{"email":"\xff\xfe"}', 'latin1')), expectStatus: [400] },
    { label: 'Content-Type: application/json with no value', bytes: post(login, ['Content-Type: ;;;', 'Content-Length: 2'], '{}'), expectStatus: [400, 415] },
    { label: 'header name with a space', bytes: request('GET', '/health', ['Host: x', 'Bad Header: x']), expectStatus: [400] },
    { label: 'header name with a control byte', bytes: request('GET', '/health', ['Host: x', 'X-\u0001: y']), expectStatus: [400] },
    { label: 'header name empty', bytes: request('GET', '/health', ['Host: x', ': y']), expectStatus: [400] },
    { label: 'header without colon', bytes: request('GET', '/health', ['Host: x', 'NoColonHere']), expectStatus: [400] },
    { label: 'header value with NUL', bytes: request('GET', '/health', ['Host: x', 'X-Nul: a\u0000b']), expectStatus: [400] },
    { label: 'header value with a bare CR', bytes: request('GET', '/health', ['Host: x', 'X-Cr: a\rb']), expectStatus: [400] },
    { label: 'folded header (obs-fold)', bytes: request('GET', '/health', ['Host: x', 'Connection: close', 'X-Fold: a', '  b']) },
    { label: 'bare LF line endings', bytes: `GET /health HTTP/1.1\nHost: x\nConnection: close\n\n` },
    { label: 'no Host on HTTP/1.1', bytes: request('GET', '/health', ['Connection: close']), expectStatus: [400] },
    { label: 'two Host headers', bytes: request('GET', '/health', ['Host: a', 'Host: b', 'Connection: close']) },
    { label: 'HTTP/1.0 without Host', bytes: `GET /health HTTP/1.0${CRLF}${CRLF}`, expectStatus: [200] },
    { label: 'Expect: 100-banana', bytes: post(login, ['Content-Type: application/json', 'Expect: 100-banana', 'Content-Length: 2'], '{}'), expectStatus: [417] },
    { label: 'Upgrade: websocket', bytes: request('GET', '/trpc', ['Host: x', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']), mayCloseSilently: true },
    { label: 'h2c upgrade', bytes: request('GET', '/health', ['Host: x', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__']), mayCloseSilently: true },
    { label: 'X-Forwarded-For garbage', bytes: request('GET', '/health', ['Host: x', 'Connection: close', `X-Forwarded-For: ${'[::1, 999.1.1.1, unknown, '.repeat(100)}`]), expectStatus: [200] },
    { label: 'X-Request-Id of latin1', bytes: request('GET', '/health', ['Host: x', 'Connection: close', 'X-Request-Id: \u00ff\u00fe{"msg":1}']), expectStatus: [200] },
    { label: 'many byte ranges on a static file', bytes: request('GET', '/docs/swagger-ui.css', ['Host: x', 'Connection: close', `Range: bytes=${'0-0,'.repeat(1_000)}0-0`]) },
    { label: 'bad conditional headers on a static file', bytes: request('GET', '/docs/swagger-ui.css', ['Host: x', 'Connection: close', 'If-Modified-Since: never', `If-None-Match: ${'"x",'.repeat(1_000)}`]) },
    { label: 'Origin of 8 kB', bytes: request('OPTIONS', login, ['Host: x', 'Connection: close', `Origin: https://${'a'.repeat(8_000)}`, 'Access-Control-Request-Method: POST']) },
    { label: 'deep JSON to REST', bytes: post(login, ['Content-Type: application/json', `Content-Length: ${20_002}`], '['.repeat(10_001) + ']'.repeat(10_001)), expectStatus: [400] },
    { label: 'deep JSON to tRPC', bytes: post('/trpc/auth.login', ['Content-Type: application/json', `Content-Length: ${20_002}`], '['.repeat(10_001) + ']'.repeat(10_001)), expectStatus: [400] },
    { label: 'lone surrogate escape to REST', bytes: post(login, ['Content-Type: application/json', `Content-Length: ${surrogateLogin.length}`], surrogateLogin), expectStatus: [400] },
    { label: 'lone surrogate in tRPC GET input', bytes: request('GET', `/trpc/auth.auditEvents?input=${encodeURIComponent('{"cursor":"\\udc00"}')}`) },
  ];
}

export function pipelinedCases(): Case[] {
  const health = request('GET', '/health', ['Host: x']);
  const crash = request('GET', '//', ['Host: x']);
  const loginRequest = request('POST', login, ['Host: x', 'Content-Type: application/json', `Content-Length: ${loginBody.length}`], loginBody);
  return [
    { label: '20 pipelined /health', bytes: health.repeat(19) + request('GET', '/health'), expectCount: 20 },
    { label: '50 pipelined GET //', bytes: crash.repeat(49) + request('GET', '//'), expectCount: 50 },
    {
      label: 'mixed pipeline',
      bytes: [health, crash, loginRequest, request('GET', '/%zz', ['Host: x']), request('GET', '///', ['Host: x']), request('GET', '/health')].join(''),
      expectCount: 6,
    },
    { label: 'valid request then garbage', bytes: health + 'NOT HTTP AT ALL\r\n\r\n', expectCount: [1, 2] },
    { label: 'body longer than its Content-Length', bytes: request('POST', login, ['Host: x', 'Content-Type: application/json', 'Content-Length: 2'], '{}GARBAGE / HTTP/1.1\r\n\r\n'), expectCount: [1, 2] },
    { label: 'pipeline split across writes', bytes: [health.slice(0, 7), health.slice(7) + crash.slice(0, 3), crash.slice(3) + request('GET', '/health')], expectCount: 3 },
    {
      label: 'chunked tRPC call then /health',
      bytes: request('POST', '/trpc/auth.login', ['Host: x', ...chunked], `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`) + request('GET', '/health'),
      expectCount: 2,
    },
  ];
}

/** What is wrong with one answer, or null. */
export function problemWith(testCase: Case, answer: RawExchange): string | null {
  const { statuses } = answer;
  if (statuses.length === 0) {
    return testCase.mayCloseSilently ? null : `no answer (closed by server: ${answer.closedByServer})`;
  }
  const counts = testCase.expectCount === undefined ? undefined : [testCase.expectCount].flat();
  if (counts && !counts.includes(statuses.length)) {
    return `${statuses.length} answers instead of ${testCase.expectCount}: ${statuses.join(',')}`;
  }
  const allowed = testCase.expectStatus;
  const first = statuses[0]!;
  if (allowed ? !allowed.includes(first) : first < 200 || first >= 500) return `status ${first}`;
  if (statuses.some((status) => status >= 500 && status !== 505)) return `a 5xx among ${statuses.join(',')}`;
  // Answers that Node's parser refused come from our clientError handler: JSON, like every other answer.
  if ([400, 408, 413, 431].includes(first) && !/\r\ncontent-type: application\/json/i.test(answer.text)) {
    return `a ${first} that is not JSON: ${JSON.stringify(answer.text.slice(0, 200))}`;
  }
  return null;
}
