// The only file of the client that looks at the server, and only at types. The package's build
// replaces its declaration with a standalone one (scripts/router-types.ts), so the published
// package carries these types and nothing of the server.
export type { AppRouter } from '../server/trpc/root';
export type { ErrorReason } from '../server/errors';
