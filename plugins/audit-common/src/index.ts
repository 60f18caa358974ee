/**
 * The audit trail: event types and permissions.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
