import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate`: drizzle-kit diffs the schema against the
// committed migrations in drizzle/ and writes the next one. It needs no database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/schema/index.ts',
  out: './drizzle',
});
