import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import pLimit from 'p-limit';
import { AppError } from '../errors';

// OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
// @node-rs/argon2 runs on libuv's thread pool, so hashing never blocks the event loop.
// `Algorithm` is a const enum that verbatimModuleSyntax cannot import; 2 is Algorithm.Argon2id.
const ARGON2ID = 2;
const MEMORY_COST_KIB = 19_456;
const TIME_COST = 2;
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: MEMORY_COST_KIB, timeCost: TIME_COST, parallelism: 1 };

/**
 * argon2 runs on libuv's thread pool (4 threads), which also signs every access token
 * (WebCrypto). No more hashes run at once than there are cores, and never on every thread:
 * a burst of sign-ins then neither holds refreshes up behind it nor holds a 19 MiB buffer per
 * thread, and it is no slower, since the hashes are bound by CPU. The others wait in order,
 * but only so many: past `queueLimit` waiting hashes the answer is 503 server_busy at once,
 * so a flood of sign-ins costs its senders a retry instead of everyone an unbounded wait.
 */
const argon2Slots = pLimit(Math.max(1, Math.min(availableParallelism(), 3)));

/** How long a refused caller should wait: about the time the queue in front of it takes. */
const BUSY_RETRY_AFTER_SECONDS = 1;

export interface HashQueueOptions {
  /** Hashes allowed to wait for a slot; unset means no bound (the admin CLI). */
  queueLimit?: number;
}

function inHashQueue<T>(work: () => Promise<T>, { queueLimit = Infinity }: HashQueueOptions): Promise<T> {
  if (argon2Slots.pendingCount >= queueLimit) {
    return Promise.reject(new AppError('server_busy', undefined, { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS }));
  }
  return argon2Slots(work);
}

export function hashPassword(password: string, options: HashQueueOptions = {}): Promise<string> {
  return inHashQueue(() => hash(password, ARGON2_OPTIONS), options);
}

/** A wrong password and a malformed hash are both `false`; a full queue is AppError('server_busy'). */
export async function verifyPassword(passwordHash: string, password: string, options: HashQueueOptions = {}): Promise<boolean> {
  return inHashQueue(async () => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }, options);
}

/** A hash made with weaker parameters than today's policy is replaced at the next sign-in. */
export function passwordHashNeedsUpgrade(passwordHash: string): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!match) return true;
  return Number(match[1]) < MEMORY_COST_KIB || Number(match[2]) < TIME_COST;
}

// Verified against when the email is unknown, so that both answers take the same time.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string, options: HashQueueOptions = {}): Promise<void> {
  dummyHash ??= hashPassword('gatehouse-timing-equaliser');
  await verifyPassword(await dummyHash, password, options);
}

/**
 * NIST SP 800-63B: at least 8 characters (counted as code points, so any script counts
 * fairly), long ones welcome and never truncated, no composition rules, and none of the
 * passwords attackers try first.
 */
export const PASSWORD_MIN_LENGTH = 8;

let commonPasswords: Set<string> | undefined;
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    dictionary['passwords-common'].filter((entry) => [...entry].length >= PASSWORD_MIN_LENGTH),
  );
  return commonPasswords.has(password.toLowerCase());
}

export function assertAcceptablePassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) throw new AppError('password_too_short');
  if (isCommonPassword(password)) throw new AppError('password_too_common');
}
