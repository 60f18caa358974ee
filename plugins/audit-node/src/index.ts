/**
 * The audit trail for backend plugins.
 *
 * Plugins record their mutations through Backstage's own
 * `coreServices.auditor` (which the audit backend implements, so those events
 * land in the hash chain). This package carries what the auditor cannot: an
 * event with its tenant, partner, source, external id and a metadata diff,
 * e.g. from an ingest of an external system's own audit log.
 *
 * @packageDocumentation
 */
export { auditTrailServiceRef, type AuditTrailService } from './trail';

export {
  auditEventPermissionRules,
  auditEventResourceRef,
  type AuditEventScope,
} from './permissions';

export { auditActorOf, auditRefusals } from './refusals';
export { recordingAuditTrail } from './recordingTrail';
