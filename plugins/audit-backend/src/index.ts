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
export { chainHash } from './services/chain';
export { verifyChain } from './services/verifyChain';
export { exportChain } from './services/exportChain';
export { verifyExport } from './services/verifyExport';
export { AuditStore } from './database/AuditStore';
