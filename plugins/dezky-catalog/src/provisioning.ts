/*
 * What the Dezky screens use of the provisioning plugin: its API (looked up
 * with `useApiHolder().get`, so that without the plugin there is no phase
 * column and no Home card), the phase and status chips and the phases. This is the only
 * import of the provisioning frontend plugin: Backstage wants a frontend
 * plugin to import another's pieces from its `-react` web library, which
 * provisioning does not have yet. When it does, import from it here.
 */
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
export {
  DomainsAttentionBadge,
  LifecycleChip,
  PhaseChip,
  provisioningApiRef,
  provisioningErrorMessage,
  provisioningRouteRef,
  TENANT_PHASES,
  type ProvisioningApi,
  type ProvisioningSummary,
  type TenantLifecycle,
  type TenantPhase,
} from '@internal/plugin-provisioning';
