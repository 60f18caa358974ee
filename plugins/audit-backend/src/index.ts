/**
 * The audit plugin backend.
 *
 * @packageDocumentation
 */
export { auditPlugin as default } from './plugin';
export { AuditService } from './services/AuditService';
export { chainHash } from './services/chain';
export { verifyChain } from './services/verifyChain';
