import type { TestProject } from 'vitest/node';
import { checkPostgresServer } from './postgres';

/**
 * Global setup of `npm run test:postgres`: a server that cannot be reached, or a role that may
 * not create databases, stops the run before any file starts, with what to do about it.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = project.config.env.TEST_DATABASE_URL;
  if (!url) throw new Error('vitest.config.ts sets TEST_DATABASE_URL in the postgres mode');
  await checkPostgresServer(url);
}
