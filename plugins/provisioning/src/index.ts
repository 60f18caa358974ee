/**
 * Tenant provisioning in the portal: the Provisioning page (every tenant's
 * phase and, per step, its status, error and next retry; counts by phase;
 * filters in the URL; Reconcile), the Provisioning tab on Tenant pages (a
 * card per step with desired vs observed, the DNS records to publish, the
 * recent attempts), and the phase chip and API other plugins show phases
 * with.
 *
 * @packageDocumentation
 */
export { provisioningPlugin as default } from './plugin';
export { provisioningRouteRef } from './routes';
export {
  provisioningApiRef,
  ProvisioningClient,
  errorMessage as provisioningErrorMessage,
} from './api';
export type { ListTenantsFilters, ProvisioningApi } from './api';
export { PhaseChip } from './components/PhaseChip';
// for the plugins that show phases without depending on the common package
export { TENANT_PHASES } from '@internal/plugin-provisioning-common';
export type {
  ProvisioningSummary,
  TenantPhase,
} from '@internal/plugin-provisioning-common';
