// The typed client for TypeScript apps. It imports the server as types only.
export type { AppRouter } from '../server/trpc/root';
export { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from './client';
export type { SessionEndReason } from './session';
export { memoryTokenStorage, type TokenPair, type TokenStorage } from './storage';
