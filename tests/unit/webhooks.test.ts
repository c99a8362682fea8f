import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { isPublicAddress } from '../../server/domain/webhooks/addresses';
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, retryDelayMs } from '../../server/domain/webhooks/schedule';
import {
  decryptWebhookSecret,
  encryptWebhookSecret,
  generateWebhookSecret,
  webhookSecretKeyFrom,
} from '../../server/domain/webhooks/secrets';

describe('webhook addresses', () => {
  it.each([
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.20.30.40', false],
    ['172.31.255.255', false],
    ['192.168.0.1', false],
    ['100.100.100.200', false], // carrier-grade NAT (and a cloud metadata address)
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['224.0.0.1', false],
    ['192.0.2.1', false], // documentation
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['fd12:3456:789a::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', false], // mapped addresses are refused, not unwrapped
    ['64:ff9b::7f00:1', false], // NAT64 of 127.0.0.1
    ['2002:7f00:1::1', false], // 6to4 of 127.0.0.1
    ['ff02::1', false],
    ['not an address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('webhook retry schedule', () => {
  it('retries first within seconds, then over hours, for about three days in all', () => {
    expect(RETRY_DELAYS_SECONDS.slice(0, 2)).toEqual([5, 30]);
    expect(MAX_ATTEMPTS).toBe(12);
    const totalDays = (seconds: number) => seconds / 86_400;
    const nominal = RETRY_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0);
    expect(totalDays(nominal)).toBeGreaterThan(2.7);
    expect(totalDays(nominal)).toBeLessThan(3.2);
    for (let i = 1; i < RETRY_DELAYS_SECONDS.length; i++) {
      expect(RETRY_DELAYS_SECONDS[i]).toBeGreaterThanOrEqual(RETRY_DELAYS_SECONDS[i - 1]!);
    }
  });

  it('jitters each delay by ±20 % and stops after the last attempt', () => {
    expect(retryDelayMs(1, () => 0)).toBe(4000);
    expect(retryDelayMs(1, () => 0.5)).toBe(5000);
    expect(retryDelayMs(1, () => 0.999999)).toBeCloseTo(6000, -1);
    expect(retryDelayMs(2, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(MAX_ATTEMPTS - 1, () => 0.5)).toBe(86_400_000);
    expect(retryDelayMs(MAX_ATTEMPTS, () => 0.5)).toBeNull();
  });
});

describe('webhook secrets', () => {
  const key = webhookSecretKeyFrom('a server secret that is long enough for this test');

  it('are Standard Webhooks secrets that standardwebhooks signs and verifies with', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    const hook = new Webhook(secret);
    const at = new Date();
    const signature = hook.sign('msg_1', at, '{"a":1}');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
    expect(hook.verify('{"a":1}', headers)).toEqual({ a: 1 });
  });

  it('are encrypted with a fresh IV each time, and refuse to decrypt when moved, altered, or under another server secret', () => {
    const secret = generateWebhookSecret();
    const stored = encryptWebhookSecret(key, 'endpoint-1', secret);
    expect(stored).not.toBe(encryptWebhookSecret(key, 'endpoint-1', secret));
    expect(decryptWebhookSecret(key, 'endpoint-1', stored)).toBe(secret);
    expect(() => decryptWebhookSecret(key, 'endpoint-2', stored)).toThrow();
    const raw = Buffer.from(stored.slice(3), 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(() => decryptWebhookSecret(key, 'endpoint-1', `v1.${raw.toString('base64url')}`)).toThrow();
    expect(() => decryptWebhookSecret(webhookSecretKeyFrom('another server secret, also long enough'), 'endpoint-1', stored)).toThrow();
  });
});
