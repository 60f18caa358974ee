/**
 * Integration health: the status, history and incident types, and the
 * permissions, shared by the backend and the frontend (docs/health.md).
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
