import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of a tenant's billing (partner-scoped). */
export const BILLING_TENANT_RESOURCE_TYPE = 'billing-tenant';

/** Read the price catalog: operators and partner staff (partners sell at these prices). */
export const billingPriceReadPermission = createPermission({
  name: 'billing.price.read',
  attributes: { action: 'read' },
});

/** Create and edit prices: operators only. */
export const billingPriceManagePermission = createPermission({
  name: 'billing.price.manage',
  attributes: { action: 'update' },
});

/**
 * See a tenant's billing (its subscription record, condition and MRR):
 * operators, every tenant; partner staff, conditionally, their partner's
 * tenants — the condition is applied in the query.
 */
export const billingTenantReadPermission = createPermission({
  name: 'billing.tenant.read',
  attributes: { action: 'read' },
  resourceType: BILLING_TENANT_RESOURCE_TYPE,
});

export const billingPermissions = [
  billingPriceReadPermission,
  billingPriceManagePermission,
  billingTenantReadPermission,
];
