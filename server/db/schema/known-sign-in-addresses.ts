import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { users } from './users';

/**
 * Addresses a user has signed in from successfully, kept as a keyed hash (never the address):
 * failures from elsewhere never lock a user out of a place they are known to sign in from.
 */
export const knownSignInAddresses = pgTable(
  'known_sign_in_addresses',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addressHash: text('address_hash').notNull(),
    lastSignedInAt: timestampTz('last_signed_in_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.addressHash] })],
);
