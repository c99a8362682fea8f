import type { z } from 'zod';

/** Input the operator can fix: printed as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command was understood but cannot be done (unknown organization, taken email...): exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/**
 * Validates flags with a zod schema and reports problems by flag name, not by schema path.
 * `flagOf` maps a schema path (e.g. `organization.type`) to its flag when they differ.
 */
export function parseFlags<T extends z.ZodType>(
  schema: T,
  input: unknown,
  flagOf: Record<string, string> = {},
): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const flag = flagOf[path] ?? path;
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return `  --${flag}: ${missing ? 'is required' : issue.message}`;
  });
  throw new UsageError(`Invalid input:\n${lines.join('\n')}`);
}
