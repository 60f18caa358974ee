import { createServiceRef } from '@backstage/backend-plugin-api';
import {
  AuditEventInput,
  RecordedAuditEvent,
} from '@internal/plugin-audit-common';

/**
 * Records events into the audit chain.
 *
 * @public
 */
export interface AuditTrailService {
  /**
   * Appends the events, in order, and resolves once they are committed, with
   * one result per input, in order. An event whose (source, externalId) is
   * already in the chain is not appended again, also after the stored event
   * was moved to the cold archive (the archive keeps the keys of the events
   * it removes from the database):
   *
   * - stored in the database: the stored event is returned in its place;
   * - archived: its content is in the bucket only, so an
   *   `ArchivedAuditEventRef` (`archived: true`, its `seq`, `hash`, `source`,
   *   `externalId` and archive `batchId`) is returned in its place.
   *
   * Rejects when the events could not be stored; nothing of a rejected call
   * is stored.
   */
  record(inputs: AuditEventInput[]): Promise<RecordedAuditEvent[]>;
}

/**
 * Records into the audit chain of this backend instance, shared by all
 * plugins. Events naming a tenant but no partner get the tenant's partner from
 * the catalog, so partner staff see them. Implemented by
 * `plugin-audit-backend`.
 *
 * @public
 */
export const auditTrailServiceRef = createServiceRef<AuditTrailService>({
  id: 'dezky.audit.trail',
  scope: 'plugin',
});
