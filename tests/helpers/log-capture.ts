import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../server/logging';

/** A Gatehouse logger (the production one, serializers and redaction included) whose lines a test reads. */
export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, as written. */
  text(): string;
  /** Every line written so far, parsed. */
  lines(): Array<Record<string, any>>;
  /** Lines at pino's level error (50) or above: what an operator would be paged for. */
  errors(): Array<Record<string, any>>;
}

export function captureLogs(level = 'info'): CapturedLogs {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  const logger = createLogger(level, stream);
  const lines = () =>
    written
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, any>);
  return {
    logger,
    text: () => written,
    lines,
    errors: () => lines().filter((line) => typeof line.level === 'number' && line.level >= 50),
  };
}
