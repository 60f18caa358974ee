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

/**
 * Suspend a tenant from the portal, and Resume a suspension
 * (POST /api/provisioning/tenants/:name/suspend|resume): operators, any
 * tenant; partner staff, their partner's tenants.
 */
export const provisioningTenantSuspendPermission = createPermission({
  name: 'provisioning.tenant.suspend',
  attributes: { action: 'update' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * Terminate a tenant (POST /api/provisioning/tenants/:name/terminate), and
 * cancel a termination (Resume while terminating): operators; partner
 * staff only where `provisioning.lifecycle.partnersMayTerminate` is true,
 * and then their partner's tenants.
 */
export const provisioningTenantTerminatePermission = createPermission({
  name: 'provisioning.tenant.terminate',
  attributes: { action: 'delete' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * Manage a tenant's mail domains' DNS checks: recheck now and set the
 * DMARC policy (POST …/domains/:domain/recheck, PUT …/domains/:domain/dmarc):
 * operators, any tenant; partner staff, their partner's tenants.
 */
export const provisioningTenantDomainsManagePermission = createPermission({
  name: 'provisioning.tenant.domains.manage',
  attributes: { action: 'update' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * List a tenant's members (GET /api/provisioning/tenants/:name/members):
 * operators, any tenant; partner staff, their partner's tenants.
 */
export const provisioningTenantMembersReadPermission = createPermission({
  name: 'provisioning.tenant.members.read',
  attributes: { action: 'read' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

/**
 * Manage a tenant's members — create, suspend, resume, force logout, reset
 * the password, remove (POST/DELETE …/members…): operators, any tenant;
 * partner staff, their partner's tenants. Nobody acts on themselves.
 */
export const provisioningTenantMembersManagePermission = createPermission({
  name: 'provisioning.tenant.members.manage',
  attributes: { action: 'update' },
  resourceType: PROVISIONING_TENANT_RESOURCE_TYPE,
});

export const provisioningPermissions = [
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
  provisioningTenantSuspendPermission,
  provisioningTenantTerminatePermission,
  provisioningTenantDomainsManagePermission,
  provisioningTenantMembersReadPermission,
  provisioningTenantMembersManagePermission,
];
