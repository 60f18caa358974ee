/**
 * Tenant provisioning in the portal: the Provisioning page (every tenant's
 * status, phase and, per step, its status, error and next retry; counts by
 * phase; filters in the URL; Reconcile), the Provisioning tab on Tenant
 * pages (its status, a card per step with desired vs observed, the DNS
 * records to publish, the recent attempts, the Danger zone to suspend,
 * resume or terminate it), the Domains tab (a card per mail domain: each
 * DNS record expected vs found, the line to publish, Recheck, the DMARC
 * policy), and the phase and status chips, the domains-attention badge and
 * the API other plugins show them with.
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
export { LifecycleChip } from './components/LifecycleChip';
export { DomainsAttentionBadge } from './components/DomainsAttentionBadge';
// for the plugins that show phases and statuses without depending on the common package
export { TENANT_PHASES } from '@internal/plugin-provisioning-common';
export type {
  ProvisioningSummary,
  TenantLifecycle,
  TenantPhase,
} from '@internal/plugin-provisioning-common';
