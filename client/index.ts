// The typed client for TypeScript apps. It imports the server as types only.
export type { AppRouter } from '../server/trpc/root';
