import type { OrganizationRow } from '../db/queries/organizations';
import { AppError } from '../errors';

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
