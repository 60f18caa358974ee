import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import {
  createPartnerScopedRules,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import { PROVISIONING_TENANT_RESOURCE_TYPE } from '@internal/plugin-provisioning-common';

/**
 * A tenant's provisioning, as the partner-scope rules see it: the tenant
 * and its partner (lower-case entity refs; no partner for direct customers).
 *
 * @public
 */
export type ProvisioningTenantScope = {
  tenantRef: string;
  partnerRef?: string;
};

/**
 * The `provisioning-tenant` resource type (`provisioning.tenant.read`,
 * `provisioning.tenant.reconcile`): for registering the rules (the
 * provisioning backend) and building conditions (the policy).
 *
 * @public
 */
export const provisioningTenantResourceRef = createPermissionResourceRef<
  ProvisioningTenantScope,
  PartnerScopeQuery
>().with({
  pluginId: 'provisioning',
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * The partner-scope rules for a tenant's provisioning, the same rules every
 * Dezky resource uses; the backend pushes them into its queries.
 *
 * @public
 */
export const provisioningTenantPermissionRules = createPartnerScopedRules({
  resourceRef: provisioningTenantResourceRef,
  partnerRefOf: t => t.partnerRef,
  tenantRefOf: t => t.tenantRef,
});
