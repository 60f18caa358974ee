import { createPermission } from '@backstage/plugin-permission-common';

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

export const billingPermissions = [
  billingPriceReadPermission,
  billingPriceManagePermission,
];
