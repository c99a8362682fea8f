// The typed client for TypeScript apps. It imports the server as types only.
export type { AppRouter } from '../server/trpc/root';
export { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from './client';
export type { SessionEndReason } from './session';
export { memoryTokenStorage, type TokenPair, type TokenStorage } from './storage';
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
} from './verifier';
