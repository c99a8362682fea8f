import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../server/db/errors';
import { AvailabilityRecord } from '../../server/db/health';
import { loadConfig } from '../../server/env';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['25006'], // read-only transaction: a standby
    ['25P01'],
    ['57P01'],
    ['57P02'],
    ['57P03'],
    ['08000'],
    ['08006'],
    ['08P01'],
    ['ECONNREFUSED'],
    ['CONNECT_TIMEOUT'],
    ['CONNECTION_DESTROYED'],
    ['GATEHOUSE_DATABASE_TIMEOUT'],
    ['GATEHOUSE_NOT_PRIMARY'],
  ])('%s is "cannot serve now" (503), directly or as drizzle\'s cause', (code) => {
    expect(isDatabaseUnavailable({ code })).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('Failed query'), { cause: { code } }))).toBe(true);
  });

  it.each([['23505'], ['22P02'], ['42P01'], ['XX000'], ['08'], [undefined]])('%s is not', (code) => {
    expect(isDatabaseUnavailable({ code })).toBe(false);
  });
});

describe('AvailabilityRecord', () => {
  const at = (ms: number) => new Date(ms);

  it('counts the time between the last success before a failure and the next success', () => {
    let now = 1_000;
    const record = new AvailabilityRecord(5_000, () => now);
    record.succeeded();
    now = 1_500;
    record.failed();
    expect(record.available).toBe(false);
    now = 9_000;
    record.failed(); // still the same outage
    expect(record.unavailableMsBetween(at(0), at(20_000))).toBe(8_000); // ongoing: up to now
    now = 21_000;
    record.succeeded();
    expect(record.available).toBe(true);
    expect(record.unavailableMsBetween(at(0), at(30_000))).toBe(20_000);
    // Only the overlap with the span asked about.
    expect(record.unavailableMsBetween(at(11_000), at(30_000))).toBe(10_000);
    expect(record.unavailableMsBetween(at(22_000), at(30_000))).toBe(0);
  });

  it('starts an outage no earlier than the lookback before the first failure', () => {
    let now = 0;
    const record = new AvailabilityRecord(5_000, () => now);
    record.succeeded();
    now = 60_000; // quiet for a minute, then the first statement fails
    record.failed();
    now = 70_000;
    record.succeeded();
    expect(record.unavailableMsBetween(at(0), at(100_000))).toBe(15_000);
  });

  it('gives at most 15 minutes', () => {
    let now = 0;
    const record = new AvailabilityRecord(5_000, () => now);
    record.succeeded();
    record.failed();
    now = 60 * 60 * 1000;
    record.succeeded();
    expect(record.unavailableMsBetween(at(0), at(now))).toBe(15 * 60 * 1000);
  });
});

describe('DATABASE_TIMEOUT_SECONDS', () => {
  it('defaults to 5 seconds, and a bad value stops start-up naming the variable', () => {
    expect(loadConfig({}).databaseTimeoutSeconds).toBe(5);
    expect(loadConfig({ DATABASE_TIMEOUT_SECONDS: '2' }).databaseTimeoutSeconds).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'soon', '301']) {
      expect(() => loadConfig({ DATABASE_TIMEOUT_SECONDS: bad })).toThrow(/DATABASE_TIMEOUT_SECONDS/);
    }
  });
});
