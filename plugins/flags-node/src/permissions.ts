import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import {
  createPartnerScopedRules,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import { FLAG_TENANT_RESOURCE_TYPE } from '@internal/plugin-flags-common';

/**
 * A flag's effect on a tenant, as the partner-scope rules see it: the tenant
 * and its partner (lower-case entity refs; no partner for direct customers).
 *
 * @public
 */
export type FlagTenantScope = { tenantRef: string; partnerRef?: string };

/**
 * The `flags-tenant` resource type (permission `flags.tenant.evaluate`): the
 * permission framework's handle on it, for registering the rules (the flags
 * backend) and building conditions (the policy).
 *
 * @public
 */
export const flagTenantResourceRef = createPermissionResourceRef<
  FlagTenantScope,
  PartnerScopeQuery
>().with({ pluginId: 'flags', resourceType: FLAG_TENANT_RESOURCE_TYPE });

/**
 * The partner-scope rules for flag evaluations (IS_TENANT_OF_PARTNER,
 * BELONGS_TO_PARTNER, IS_TENANT), the same rules every Dezky resource uses.
 * The flags backend applies them in memory, to each tenant asked about.
 *
 * @public
 */
export const flagTenantPermissionRules = createPartnerScopedRules({
  resourceRef: flagTenantResourceRef,
  partnerRefOf: t => t.partnerRef,
  tenantRefOf: t => t.tenantRef,
});
