import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { orgPlanEnum, orgPrimaryUseEnum, orgSizeEnum, orgStatusEnum, orgTypeEnum } from './enums';

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  type: orgTypeEnum('type').notNull(),
  plan: orgPlanEnum('plan').notNull().default('trial'),
  size: orgSizeEnum('size').notNull(),
  primaryUse: orgPrimaryUseEnum('primary_use').notNull(),
  status: orgStatusEnum('status').notNull().default('active'),
  createdAt: timestampTz('created_at').notNull(),
  updatedAt: timestampTz('updated_at').notNull(),
});
