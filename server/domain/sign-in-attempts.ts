import { createHmac, hkdfSync } from 'node:crypto';
import { isKnownSignInAddress, rememberSignInAddress } from '../db/queries/known-sign-in-addresses';
import type { UserRow } from '../db/queries/users';
import type { Deps } from './deps';
import { burnPasswordCheck, verifyPassword } from './passwords';
import { clientAddressKey } from './rate-limits';

/** How long a successful sign-in keeps an address "known" for its user. */
export const KNOWN_ADDRESS_DAYS = 30;

export function signInAddressKeyFrom(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'gatehouse', 'known-sign-in-address', 32));
}

/** Keyed, so that the table cannot be turned back into addresses by hashing all 2^32 of them. */
function addressHash(deps: Deps, ipAddress: string | null): string {
  return createHmac('sha256', deps.signInAddressKey).update(clientAddressKey(ipAddress)).digest('base64url');
}

/**
 * Every check of a password a person types (sign-in, reauthentication, a current password)
 * goes through here: the failure is counted against the sign-in limits before argon2 runs,
 * given back if the password is right, and a right one remembers the address it came from.
 * `user` null (an unknown email) does the same work and always fails.
 * `countAsFailure`: the password is checked, but the attempt fails whatever the result (an
 * API key of another organization sent along), with the same cost and answer.
 */
export async function checkPasswordAttempt(
  deps: Deps,
  {
    email,
    user,
    ipAddress,
    password,
    countAsFailure = false,
  }: { email: string; user: UserRow | null; ipAddress: string | null; password: string; countAsFailure?: boolean },
): Promise<boolean> {
  const now = deps.clock.now();
  const hash = addressHash(deps, ipAddress);
  const fromKnownAddress = await isKnownSignInAddress(deps.db, {
    // An unknown email runs the same query, so both answers take the same time.
    userId: user?.id ?? '',
    addressHash: hash,
    since: new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 24 * 60 * 60 * 1000),
  });
  const attempt = await deps.rateLimits.reserveSignInAttempt(email, ipAddress, { fromKnownAddress });
  const queue = { queueLimit: deps.config.passwordHashQueueLimit };
  let matches: boolean;
  try {
    if (user) {
      matches = await verifyPassword(user.passwordHash, password, queue);
    } else {
      await burnPasswordCheck(password, queue);
      matches = false;
    }
  } catch (error) {
    // Not checked at all (server busy): it was no guess, so it costs no attempt.
    await attempt.release();
    throw error;
  }
  if (!matches || countAsFailure || !user) return false;
  await attempt.succeeded();
  await rememberSignInAddress(deps.db, { userId: user.id, addressHash: hash, now });
  return true;
}

/** A sign-up proved the password too: its address is known from the start. */
export async function rememberSignUpAddress(deps: Deps, userId: string, ipAddress: string | null): Promise<void> {
  await rememberSignInAddress(deps.db, { userId, addressHash: addressHash(deps, ipAddress), now: deps.clock.now() });
}
