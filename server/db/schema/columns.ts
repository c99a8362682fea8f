import { timestamp } from 'drizzle-orm/pg-core';

/** Every timestamp is `timestamptz`, read back as a JS Date. */
export const timestampTz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
