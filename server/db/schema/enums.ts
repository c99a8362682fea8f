import { pgEnum } from 'drizzle-orm/pg-core';

// The organization enums exactly as the API document writes them, including
// 'market research' with its space and the size list as given.
export const ORG_TYPES = ['government', 'enterprise', 'individual', 'education', 'ngo'] as const;
export const ORG_PLANS = ['trial', 'free', 'basic', 'advanced', 'enterprise'] as const;
export const ORG_SIZES = ['1-10', '11-50', '51-200', '500+'] as const;
export const ORG_PRIMARY_USES = ['sales', 'support', 'market research'] as const;
export const ORG_STATUSES = ['active', 'suspended', 'inactive'] as const;

export type OrgType = (typeof ORG_TYPES)[number];
export type OrgPlan = (typeof ORG_PLANS)[number];
export type OrgSize = (typeof ORG_SIZES)[number];
export type OrgPrimaryUse = (typeof ORG_PRIMARY_USES)[number];
export type OrgStatus = (typeof ORG_STATUSES)[number];

export const orgTypeEnum = pgEnum('org_type', ORG_TYPES);
export const orgPlanEnum = pgEnum('org_plan', ORG_PLANS);
export const orgSizeEnum = pgEnum('org_size', ORG_SIZES);
export const orgPrimaryUseEnum = pgEnum('org_primary_use', ORG_PRIMARY_USES);
export const orgStatusEnum = pgEnum('org_status', ORG_STATUSES);
