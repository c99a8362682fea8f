import { findOrganizationByIdForUpdate, updateOrganization, type OrganizationRow } from '../db/queries/organizations';
import { AppError } from '../errors';
import type { Deps } from './deps';
import { organizationStatusChanged, recordWebhookEvent } from './webhooks/events';

export {
  ORG_PLANS,
  ORG_PRIMARY_USES,
  ORG_SIZES,
  ORG_STATUSES,
  ORG_TYPES,
  type OrgPlan,
  type OrgPrimaryUse,
  type OrgSize,
  type OrgStatus,
  type OrgType,
} from '../db/schema/enums';

/** A suspended or inactive organization can neither sign in, refresh, nor use its keys. */
export function assertOrganizationActive(organization: Pick<OrganizationRow, 'status'>): void {
  if (organization.status === 'suspended') throw new AppError('organization_suspended');
  if (organization.status === 'inactive') throw new AppError('organization_inactive');
}

/**
 * Changes an organization's status or plan (the admin CLI). A change of status is reported
 * as organization.status_changed in the same transaction; null when there is no such organization.
 */
export async function changeOrganization(
  deps: Deps,
  id: string,
  changes: Partial<Pick<OrganizationRow, 'status' | 'plan'>>,
): Promise<OrganizationRow | null> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await findOrganizationByIdForUpdate(tx, id);
    if (!before) return null;
    const after = (await updateOrganization(tx, id, { ...changes, updatedAt: now }))!;
    if (after.status !== before.status) {
      await recordWebhookEvent(tx, organizationStatusChanged(after, { previousStatus: before.status, status: after.status, changedAt: now }));
    }
    return after;
  });
}
