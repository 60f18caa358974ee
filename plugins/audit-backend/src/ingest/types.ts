import { LoggerService } from '@backstage/backend-plugin-api';
import { AuditEvent, AuditEventInput } from '@internal/plugin-audit-common';
import { TenantDirectory } from '../services/TenantDirectory';

/** Where an ingest saves how far it has read, per source. */
export interface IngestCursors {
  get(source: string): Promise<string | undefined>;
  set(source: string, cursor: string): Promise<void>;
}

/** What every ingest (Authentik poller, Stalwart webhook, OCIS tailer) is given. */
export interface IngestContext {
  /** Appends to the chain; (source, externalId) duplicates are not appended again. */
  record(inputs: AuditEventInput[]): Promise<AuditEvent[]>;
  cursors: IngestCursors;
  tenants: TenantDirectory;
  logger: LoggerService;
}
