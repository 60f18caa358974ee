/**
 * The audit plugin backend: the chain, the API, and the service factories
 * that make `coreServices.auditor` (every plugin) and `auditTrailServiceRef`
 * write to it. The default export installs all of them.
 *
 * @packageDocumentation
 */
import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { auditPlugin } from './plugin';
import {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from './services/factories';

export default createBackendFeatureLoader({
  *loader() {
    yield auditPlugin;
    yield auditChainServiceFactory;
    yield auditTrailServiceFactory;
    yield chainAuditorServiceFactory;
  },
});

export { auditPlugin };
export {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
};
export { AuditService } from './services/AuditService';
export { CheckpointSigner } from './services/CheckpointSigner';
export { verifyChain } from './services/verifyChain';
export type {
  ArchiveTier,
  ArchivedRange,
  ChainSource,
  CheckpointCheck,
  VerifyOptions,
  VerifyStats,
} from './services/verifyChain';
export { VerifyPool } from './services/VerifyPool';
export { exportChain } from './services/exportChain';
export { AuditStore, fromRow, toRow } from './database/AuditStore';
export type { AuditRow } from './database/AuditStore';
export { rowChainHash, rowLink } from './database/rows';
export type { RowLink } from './database/rows';
export { ColdArchive, ColdStorage } from './archive';
export type { ColdArchiveOptions, ColdStorageOptions } from './archive';
