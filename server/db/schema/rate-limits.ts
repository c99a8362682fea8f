import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';

/**
 * Counters of rate-limiter-flexible's Drizzle store. Kept in PostgreSQL so that every
 * instance counts against the same limits.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: timestampTz('expire'),
});
