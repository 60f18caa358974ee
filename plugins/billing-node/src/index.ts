/**
 * Billing for other backend plugins and the permission policy: the
 * permission resource of a tenant's billing with its partner-scope rules.
 *
 * @packageDocumentation
 */
export {
  billingTenantPermissionRules,
  billingTenantResourceRef,
  type BillingTenantScope,
} from './permissions';
