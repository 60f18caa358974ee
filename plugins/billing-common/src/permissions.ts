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

/**
 * Compare tenants' billing with Stripe now and fix what differs (Sync now,
 * the billing reconcile), and read the webhook events received: operators only.
 */
export const billingTenantSyncPermission = createPermission({
  name: 'billing.tenant.sync',
  attributes: { action: 'update' },
});

/**
 * The partner payout ledger and the MRR history: generate payouts, mark one
 * paid, take the day's MRR snapshot and list the snapshot days — operators
 * only (partner staff read their own partner's payouts through
 * `billing.tenant.read`'s partner scope).
 */
export const billingPayoutManagePermission = createPermission({
  name: 'billing.payout.manage',
  attributes: { action: 'update' },
});

export const billingPermissions = [
  billingPriceReadPermission,
  billingPriceManagePermission,
  billingTenantReadPermission,
  billingTenantSyncPermission,
  billingPayoutManagePermission,
];
