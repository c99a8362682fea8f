import { createId } from '@paralleldrive/cuid2';
import type { Database } from '../db/client';
import { insertOrganization, type OrganizationRow } from '../db/queries/organizations';
import { isUniqueViolation } from '../db/queries/raw';
import {
  findUserById,
  findUserWithOrganizationByEmail,
  insertUser,
  updateUserPasswordHash,
  type UserRow,
} from '../db/queries/users';
import { AppError } from '../errors';
import { recordAuditEvent, type AuditActor } from './audit';
import type { Deps, RequestOrigin } from './deps';
import { assertOrganizationActive, type OrgPlan, type OrgPrimaryUse, type OrgSize, type OrgType } from './organizations';
import { assertAcceptablePassword, hashPassword, passwordHashNeedsUpgrade, type HashQueueOptions } from './passwords';
import { startSession, type TokenPair } from './sessions';
import { endOtherUserSessions, markSessionAuthenticated } from './user-sessions';
import { checkPasswordAttempt, rememberSignUpAddress } from './sign-in-attempts';
import { passwordChanged, recordWebhookEvent } from './webhooks/events';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewOrganizationInput {
  name: string;
  type: OrgType;
  size: OrgSize;
  primaryUse: OrgPrimaryUse;
  /** Sign-ups start on trial; an operator may choose another plan at creation. */
  plan?: OrgPlan;
}

/** An organization and its first user, in one transaction. Shared by sign-up and the admin CLI. */
export async function createOrganizationWithOwner(
  db: Database,
  input: { email: string; password: string; name?: string | null; organization: NewOrganizationInput },
  now: Date,
  queue: HashQueueOptions = {},
): Promise<{ user: UserRow; organization: OrganizationRow }> {
  assertAcceptablePassword(input.password);
  const passwordHash = await hashPassword(input.password, queue);
  try {
    return await db.transaction(async (tx) => {
      const organization = await insertOrganization(tx, {
        id: createId(),
        ...input.organization,
        createdAt: now,
        updatedAt: now,
      });
      const user = await insertUser(tx, {
        id: createId(),
        organizationId: organization.id,
        email: normalizeEmail(input.email),
        name: input.name ?? null,
        passwordHash,
        createdAt: now,
        updatedAt: now,
      });
      return { user, organization };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('email_taken');
    throw error;
  }
}

export async function register(
  deps: Deps,
  input: { email: string; password: string; name?: string | undefined; organization: NewOrganizationInput },
  origin: RequestOrigin,
): Promise<TokenPair> {
  await deps.rateLimits.consumeRegistration(origin.ipAddress);
  const { user, organization } = await createOrganizationWithOwner(deps.db, input, deps.clock.now(), {
    queueLimit: deps.config.passwordHashQueueLimit,
  });
  const { sessionId, tokens } = await startSession(deps, { userId: user.id, organizationId: organization.id, origin });
  await rememberSignUpAddress(deps, user.id, origin.ipAddress);
  await recordAuditEvent(
    deps.db,
    'sign_up',
    { organizationId: organization.id, userId: user.id, sessionId, origin },
    deps.clock.now(),
  );
  return tokens;
}

export async function login(
  deps: Deps,
  input: { email: string; password: string; callerOrganizationId: string | null },
  origin: RequestOrigin,
): Promise<TokenPair> {
  const email = normalizeEmail(input.email);
  const found = await findUserWithOrganizationByEmail(deps.db, email);
  // A key sent along from another organization gets the same answer as a wrong password.
  const keyOfAnotherOrganization =
    found !== null && input.callerOrganizationId !== null && input.callerOrganizationId !== found.organization.id;
  // Unknown email, wrong password, foreign key: the same work, the same answer, the same count.
  const signedIn = await checkPasswordAttempt(deps, {
    email,
    user: found?.user ?? null,
    ipAddress: origin.ipAddress,
    password: input.password,
    countAsFailure: keyOfAnotherOrganization,
  });
  if (!found || !signedIn) {
    const actor: AuditActor = { organizationId: found?.organization.id ?? null, userId: found?.user.id ?? null, sessionId: null, origin };
    const cause = !found ? 'unknown_email' : keyOfAnotherOrganization ? 'api_key_of_another_organization' : 'wrong_password';
    await recordAuditEvent(deps.db, 'sign_in_failed', actor, deps.clock.now(), found ? { cause } : { email, cause });
    throw new AppError('invalid_credentials');
  }
  assertOrganizationActive(found.organization);
  if (passwordHashNeedsUpgrade(found.user.passwordHash)) {
    // The only moment the plain password is at hand: re-hash it under today's parameters.
    const upgraded = await hashPassword(input.password, { queueLimit: deps.config.passwordHashQueueLimit });
    await updateUserPasswordHash(deps.db, found.user.id, upgraded, deps.clock.now());
  }
  const actor: AuditActor = { organizationId: found.organization.id, userId: found.user.id, sessionId: null, origin };
  const { sessionId, tokens } = await startSession(deps, { userId: found.user.id, organizationId: found.organization.id, origin });
  await recordAuditEvent(deps.db, 'sign_in', { ...actor, sessionId }, deps.clock.now());
  return tokens;
}

/**
 * The password of the signed-in user, typed again (change-password, reauthenticate, a
 * sensitive action's currentPassword): a wrong one counts as a failed sign-in and is audited
 * as one, and is refused with 403 (not 401: the session itself is fine).
 */
export async function verifyCurrentPassword(
  deps: Deps,
  actor: AuditActor & { userId: string },
  password: string,
  during: 'change_password' | 'reauthenticate' | 'sensitive_action',
): Promise<UserRow> {
  const user = await findUserById(deps.db, actor.userId);
  const matches =
    user !== null &&
    (await checkPasswordAttempt(deps, { email: user.email, user, ipAddress: actor.origin.ipAddress, password }));
  if (!user || !matches) {
    await recordAuditEvent(deps.db, 'sign_in_failed', actor, deps.clock.now(), { cause: 'wrong_current_password', during });
    throw new AppError('invalid_current_password');
  }
  return user;
}

/** Proves the password again in this session: it is fresh for REAUTH_MAX_AGE_SECONDS. */
export async function reauthenticate(
  deps: Deps,
  actor: AuditActor & { userId: string; sessionId: string },
  password: string,
): Promise<void> {
  await verifyCurrentPassword(deps, actor, password, 'reauthenticate');
  await markSessionAuthenticated(deps, actor.sessionId);
  await recordAuditEvent(deps.db, 'reauthenticated', actor, deps.clock.now());
}

/**
 * Changes the password of a signed-in user and ends every other session of theirs: whoever
 * else knew the old password is signed out; the device that made the change stays in.
 */
export async function changePassword(
  deps: Deps,
  actor: AuditActor & { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await verifyCurrentPassword(deps, actor, input.currentPassword, 'change_password');
  assertAcceptablePassword(input.newPassword);
  const passwordHash = await hashPassword(input.newPassword, { queueLimit: deps.config.passwordHashQueueLimit });
  // The new password, the event and the end of the other sessions: all of them or none.
  await deps.db.transaction(async (tx) => {
    await updateUserPasswordHash(tx, user.id, passwordHash, deps.clock.now());
    await recordWebhookEvent(tx, passwordChanged({ ...actor, organizationId: user.organizationId }, deps.clock.now()));
    await endOtherUserSessions({ ...deps, db: tx }, actor, 'password_changed');
  });
}
