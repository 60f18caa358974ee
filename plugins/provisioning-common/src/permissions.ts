import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of a tenant's provisioning (partner-scoped). */
export const PROVISIONING_TENANT_RESOURCE_TYPE = 'provisioning-tenant';

/**
 * See a tenant's provisioning (phase, conditions, what exists): operators,
 * any tenant; partner staff, conditionally, their partner's tenants — the
 * condition is applied in the query.
 */
export const provisioningTenantReadPermission = createPermission({
  name: 'provisioning.tenant.read',
  attributes: { action: 'read' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * Reconcile a tenant now (POST /api/provisioning/tenants/:name/reconcile):
 * operators, any tenant; partner staff, their partner's tenants.
 */
export const provisioningTenantReconcilePermission = createPermission({
  name: 'provisioning.tenant.reconcile',
  attributes: { action: 'update' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

export const provisioningPermissions = [
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
];
