import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditEventInput,
  RecordedAuditEvent,
} from '@internal/plugin-audit-common';
import { TenantDirectory } from '../services/TenantDirectory';
import { CatalogReadiness } from './catalogReadiness';

/** Where an ingest saves how far it has read, per source. */
export interface IngestCursors {
  get(source: string): Promise<string | undefined>;
  set(source: string, cursor: string): Promise<void>;
}

/** What every ingest (Authentik poller, Stalwart webhook, OCIS tailer) is given. */
export interface IngestContext {
  /**
   * Appends to the chain; (source, externalId) duplicates, archived ones
   * included, are not appended again (AuditTrailService.record).
   */
  record(inputs: AuditEventInput[]): Promise<RecordedAuditEvent[]>;
  cursors: IngestCursors;
  tenants: TenantDirectory;
  logger: LoggerService;
  /**
   * When the catalog has its tenants: the pulling ingests wait for it, the
   * webhook answers 503 before it (so every event is attributed). Absent:
   * ready at once.
   */
  catalog?: CatalogReadiness;
}
