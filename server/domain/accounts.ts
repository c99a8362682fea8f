import { createId } from '@paralleldrive/cuid2';
import type { Database } from '../db/client';
import { insertOrganization, type OrganizationRow } from '../db/queries/organizations';
import { isUniqueViolation } from '../db/queries/raw';
import { findUserWithOrganizationByEmail, insertUser, type UserRow } from '../db/queries/users';
import { AppError } from '../errors';
import type { Deps, RequestOrigin } from './deps';
import { assertOrganizationActive, type OrgPrimaryUse, type OrgSize, type OrgType } from './organizations';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import { startSession, type TokenPair } from './sessions';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewOrganizationInput {
  name: string;
  type: OrgType;
  size: OrgSize;
  primaryUse: OrgPrimaryUse;
}

/** An organization and its first user, in one transaction. Shared by sign-up and the admin CLI. */
export async function createOrganizationWithOwner(
  db: Database,
  input: { email: string; password: string; name?: string | null; organization: NewOrganizationInput },
  now: Date,
): Promise<{ user: UserRow; organization: OrganizationRow }> {
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
  const { user, organization } = await createOrganizationWithOwner(deps.db, input, deps.clock.now());
  return startSession(deps, { userId: user.id, organizationId: organization.id, origin });
}

export async function login(
  deps: Deps,
  input: { email: string; password: string; callerOrganizationId: string | null },
  origin: RequestOrigin,
): Promise<TokenPair> {
  const found = await findUserWithOrganizationByEmail(deps.db, normalizeEmail(input.email));
  if (!found) {
    // Same work, same answer as a wrong password: the response says nothing about the email.
    await burnPasswordCheck(input.password);
    throw new AppError('invalid_credentials');
  }
  const passwordMatches = await verifyPassword(found.user.passwordHash, input.password);
  if (!passwordMatches) throw new AppError('invalid_credentials');
  // A key sent along from another organization gets the same answer as a wrong password.
  if (input.callerOrganizationId !== null && input.callerOrganizationId !== found.organization.id) {
    throw new AppError('invalid_credentials');
  }
  assertOrganizationActive(found.organization);
  return startSession(deps, { userId: found.user.id, organizationId: found.organization.id, origin });
}
