import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { BILLING_TENANT_RESOURCE_TYPE } from '@internal/plugin-billing-common';
import {
  createPartnerScopedRules,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';

/**
 * A tenant's billing, as the partner-scope rules see it: the tenant and
 * its partner (lower-case entity refs; none for direct customers).
 *
 * @public
 */
export type BillingTenantScope = {
  tenantRef: string;
  partnerRef?: string;
};

/**
 * The `billing-tenant` resource type (`billing.tenant.read`): for
 * registering the rules (the billing backend) and building conditions (the
 * policy).
 *
 * @public
 */
export const billingTenantResourceRef = createPermissionResourceRef<
  BillingTenantScope,
  PartnerScopeQuery
>().with({
  pluginId: 'billing',
  resourceType: BILLING_TENANT_RESOURCE_TYPE,
});

/**
 * The partner-scope rules for a tenant's billing, the same rules every
 * Dezky resource uses; the backend pushes them into its queries.
 *
 * @public
 */
export const billingTenantPermissionRules = createPartnerScopedRules({
  resourceRef: billingTenantResourceRef,
  partnerRefOf: t => t.partnerRef,
  tenantRefOf: t => t.tenantRef,
});
