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
import {
  assertAcceptablePassword,
  burnPasswordCheck,
  hashPassword,
  passwordHashNeedsUpgrade,
  verifyPassword,
} from './passwords';
import { endOtherUserSessions, startSession, type TokenPair } from './sessions';
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
): Promise<{ user: UserRow; organization: OrganizationRow }> {
  assertAcceptablePassword(input.password);
  const passwordHash = await hashPassword(input.password);
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
  const { user, organization } = await createOrganizationWithOwner(deps.db, input, deps.clock.now());
  const { sessionId, tokens } = await startSession(deps, { userId: user.id, organizationId: organization.id, origin });
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
  await deps.rateLimits.assertSignInAllowed(email, origin.ipAddress);
  const found = await findUserWithOrganizationByEmail(deps.db, email);
  if (!found) {
    // Same work, same answer as a wrong password: the response says nothing about the email.
    await burnPasswordCheck(input.password);
    await deps.rateLimits.recordSignInFailure(email, origin.ipAddress);
    await recordAuditEvent(deps.db, 'sign_in_failed', { organizationId: null, userId: null, sessionId: null, origin }, deps.clock.now(), {
      email,
      cause: 'unknown_email',
    });
    throw new AppError('invalid_credentials');
  }
  const actor: AuditActor = { organizationId: found.organization.id, userId: found.user.id, sessionId: null, origin };
  const passwordMatches = await verifyPassword(found.user.passwordHash, input.password);
  // A key sent along from another organization gets the same answer as a wrong password.
  const keyOfAnotherOrganization =
    input.callerOrganizationId !== null && input.callerOrganizationId !== found.organization.id;
  if (!passwordMatches || keyOfAnotherOrganization) {
    await deps.rateLimits.recordSignInFailure(email, origin.ipAddress);
    await recordAuditEvent(deps.db, 'sign_in_failed', actor, deps.clock.now(), {
      cause: passwordMatches ? 'api_key_of_another_organization' : 'wrong_password',
    });
    throw new AppError('invalid_credentials');
  }
  assertOrganizationActive(found.organization);
  await deps.rateLimits.recordSignInSuccess(email, origin.ipAddress);
  if (passwordHashNeedsUpgrade(found.user.passwordHash)) {
    // The only moment the plain password is at hand: re-hash it under today's parameters.
    await updateUserPasswordHash(deps.db, found.user.id, await hashPassword(input.password), deps.clock.now());
  }
  const { sessionId, tokens } = await startSession(deps, { userId: found.user.id, organizationId: found.organization.id, origin });
  await recordAuditEvent(deps.db, 'sign_in', { ...actor, sessionId }, deps.clock.now());
  return tokens;
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
  const user = await findUserById(deps.db, actor.userId);
  if (!user || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new AppError('invalid_current_password');
  }
  assertAcceptablePassword(input.newPassword);
  const passwordHash = await hashPassword(input.newPassword);
  // The new password, the event and the end of the other sessions: all of them or none.
  await deps.db.transaction(async (tx) => {
    await updateUserPasswordHash(tx, user.id, passwordHash, deps.clock.now());
    await recordWebhookEvent(tx, passwordChanged({ ...actor, organizationId: user.organizationId }, deps.clock.now()));
    await endOtherUserSessions({ ...deps, db: tx }, actor, 'password_changed');
  });
}
