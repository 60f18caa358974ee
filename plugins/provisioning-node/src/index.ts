/**
 * Provisioning for other backend plugins: a tenant's phase and step
 * conditions (`provisioningServiceRef`), the tenants' lifecycle events
 * (`followLifecycleEvents`), and the permission resource of a
 * tenant's provisioning with its partner-scope rules.
 *
 * @packageDocumentation
 */
export {
  provisioningTenantPermissionRules,
  provisioningTenantResourceRef,
  type ProvisioningTenantScope,
} from './permissions';
export {
  ProvisioningClient,
  provisioningServiceRef,
  type ProvisioningService,
} from './client';
export { deliverLifecycleEvents, followLifecycleEvents } from './events';
