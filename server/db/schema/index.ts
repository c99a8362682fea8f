export * from './enums';
export * from './organizations';
export * from './users';
export * from './api-keys';
export * from './sessions';
export * from './refresh-tokens';
export * from './audit-events';
export * from './rate-limits';
