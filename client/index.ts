// The typed client for TypeScript apps. It imports the server as types only (app-router.ts).
export type { AppRouter, ErrorReason } from './app-router.js';
export { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from './client.js';
export type { SessionEndReason } from './session.js';
export {
  localStorageTokenStorage,
  memoryTokenStorage,
  type TokenPair,
  type TokenStorage,
  type WebStorage,
} from './storage.js';
export {
  createGatehouseVerifier,
  GatehouseVerificationError,
  type GatehouseClaims,
  type GatehouseVerificationReason,
  type GatehouseVerifier,
  type GatehouseVerifierOptions,
  type VerifierNext,
  type VerifierRequest,
  type VerifierResponse,
} from './verifier.js';
