import { createPrivateKey, createPublicKey, createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';

/**
 * `npx tsx bench/jwt-algorithms.ts`: what signing and verifying one access token costs, per
 * algorithm and library: jose (WebCrypto, async, through libuv's thread pool) against node:crypto
 * (synchronous; ES256 with dsaEncoding 'ieee-p1363', the JWS form). One call at a time; the CPU
 * of the whole process per call is what a server pays, the wall time what a caller waits.
 */
const ITERATIONS = Number(process.argv[2] ?? 5000);
const claims = { sub: 'user_0123456789abcdefghij', sid: '0b6f1c1e-8a7d-4a3e-9c55-2d1f0e9a7b31', org: 'org_0123456789abcdefghij', jti: 'f'.repeat(22) };
const now = Math.floor(Date.now() / 1000);
const b64 = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** CPU of the whole process (the thread pool's included) per call; wall time beside it, which also counts the hops. */
async function time(label: string, run: () => unknown): Promise<number> {
  for (let i = 0; i < 500; i++) await run();
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) await run();
  const used = process.cpuUsage(cpu);
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS;
  const cpuUs = (used.user + used.system) / ITERATIONS;
  console.log(`${label.padEnd(44)} ${cpuUs.toFixed(1).padStart(7)} µs CPU ${wallUs.toFixed(1).padStart(8)} µs wall`);
  return cpuUs;
}

function signCompact(alg: string, signer: (input: string) => Buffer) {
  const header = b64(JSON.stringify({ alg, typ: 'at+jwt', kid: 'k1' }));
  const payload = b64(JSON.stringify({ ...claims, iat: now, exp: now + 900, iss: 'gatehouse', aud: 'gatehouse' }));
  const input = `${header}.${payload}`;
  return `${input}.${b64(signer(input))}`;
}

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] | Uint8Array;
const joseSign = (alg: string, key: Key) =>
  new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k1' }).setIssuedAt(now).setExpirationTime(now + 900)
    .setIssuer('gatehouse').setAudience('gatehouse').sign(key);
const joseVerify = (token: string, key: Key, alg: string) =>
  jwtVerify(token, key, { algorithms: [alg], issuer: 'gatehouse', audience: 'gatehouse', typ: 'at+jwt' });

const results: Record<string, number> = {};
// HS256
const secret = randomBytes(32);
const hsToken = await joseSign('HS256', secret);
results.jose_hs256_sign = await time('jose HS256 sign (WebCrypto)', () => joseSign('HS256', secret));
results.jose_hs256_verify = await time('jose HS256 verify (WebCrypto)', () => joseVerify(hsToken, secret, 'HS256'));
const hmac = (input: string) => createHmac('sha256', secret).update(input).digest();
results.node_hs256_sign = await time('node:crypto HS256 sign (createHmac)', () => signCompact('HS256', hmac));
const hsNode = signCompact('HS256', hmac);
results.node_hs256_verify = await time('node:crypto HS256 verify (createHmac)', () => {
  const [h, p, s] = hsNode.split('.');
  if (!timingSafeEqual(hmac(`${h}.${p}`), Buffer.from(s!, 'base64url'))) throw new Error('bad');
  return JSON.parse(Buffer.from(p!, 'base64url').toString());
});
// ES256
const es = await generateKeyPair('ES256', { extractable: true });
const esToken = await joseSign('ES256', es.privateKey);
results.jose_es256_sign = await time('jose ES256 sign (WebCrypto)', () => joseSign('ES256', es.privateKey));
results.jose_es256_verify = await time('jose ES256 verify (WebCrypto)', () => joseVerify(esToken, es.publicKey, 'ES256'));
const esPrivate = createPrivateKey({ key: (await exportJWK(es.privateKey)) as never, format: 'jwk' });
const esPublic = createPublicKey(esPrivate);
const esSign = (input: string) => sign('sha256', Buffer.from(input), { key: esPrivate, dsaEncoding: 'ieee-p1363' });
results.node_es256_sign = await time('node:crypto ES256 sign (ieee-p1363)', () => signCompact('ES256', esSign));
const esNode = signCompact('ES256', esSign);
results.node_es256_verify = await time('node:crypto ES256 verify (ieee-p1363)', () => {
  const [h, p, s] = esNode.split('.');
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key: esPublic, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))) throw new Error('bad');
  return JSON.parse(Buffer.from(p!, 'base64url').toString());
});
const esPrivatePem = esPrivate.export({ format: 'pem', type: 'pkcs8' }).toString();
const esPublicPem = esPublic.export({ format: 'pem', type: 'spki' }).toString();
const fastEsSign = createSigner({ key: esPrivatePem, algorithm: 'ES256', kid: 'k1', header: { alg: 'ES256', typ: 'at+jwt' }, iss: 'gatehouse', aud: 'gatehouse', expiresIn: 900_000 });
results.fastjwt_es256_sign = await time('fast-jwt ES256 sign', () => fastEsSign({ ...claims }));
const fastEsVerify = createVerifier({ key: esPublicPem, algorithms: ['ES256'], allowedIss: 'gatehouse', allowedAud: 'gatehouse', complete: true, cache: false });
const fastEsToken = fastEsSign({ ...claims });
results.fastjwt_es256_verify = await time('fast-jwt ES256 verify', () => fastEsVerify(fastEsToken));
// EdDSA
const ed = generateKeyPairSync('ed25519');
const edJose = await importJWK(ed.privateKey.export({ format: 'jwk' }) as never, 'EdDSA');
const edJosePublic = await importJWK(ed.publicKey.export({ format: 'jwk' }) as never, 'EdDSA');
const edToken = await joseSign('EdDSA', edJose as Key);
results.jose_eddsa_sign = await time('jose EdDSA sign (WebCrypto)', () => joseSign('EdDSA', edJose as Key));
results.jose_eddsa_verify = await time('jose EdDSA verify (WebCrypto)', () => joseVerify(edToken, edJosePublic as Key, 'EdDSA'));
const edSign = (input: string) => sign(null, Buffer.from(input), ed.privateKey);
results.node_eddsa_sign = await time('node:crypto EdDSA sign', () => signCompact('EdDSA', edSign));
const edNode = signCompact('EdDSA', edSign);
results.node_eddsa_verify = await time('node:crypto EdDSA verify', () => {
  const [h, p, s] = edNode.split('.');
  if (!verify(null, Buffer.from(`${h}.${p}`), ed.publicKey, Buffer.from(s!, 'base64url'))) throw new Error('bad');
  return JSON.parse(Buffer.from(p!, 'base64url').toString());
});
const fastEdSign = createSigner({ key: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), algorithm: 'EdDSA', kid: 'k1', header: { alg: 'EdDSA', typ: 'at+jwt' }, iss: 'gatehouse', aud: 'gatehouse', expiresIn: 900_000 });
results.fastjwt_eddsa_sign = await time('fast-jwt EdDSA sign', () => fastEdSign({ ...claims }));
const fastEdVerify = createVerifier({ key: ed.publicKey.export({ format: 'pem', type: 'spki' }).toString(), algorithms: ['EdDSA'], allowedIss: 'gatehouse', allowedAud: 'gatehouse', complete: true, cache: false });
const fastEdToken = fastEdSign({ ...claims });
results.fastjwt_eddsa_verify = await time('fast-jwt EdDSA verify', () => fastEdVerify(fastEdToken));
console.log(JSON.stringify({ iterations: ITERATIONS, us_per_call: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 10) / 10])) }));
