import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of a flag's effect on a tenant (partner-scoped). */
export const FLAG_TENANT_RESOURCE_TYPE = 'flags-tenant';

/** Read flags and their definitions: operators and partner staff. */
export const flagReadPermission = createPermission({
  name: 'flags.flag.read',
  attributes: { action: 'read' },
});

/** Create, change, delete and kill flags: operators. */
export const flagManagePermission = createPermission({
  name: 'flags.flag.manage',
  attributes: { action: 'update' },
});

/**
 * See what the flags are for a tenant (evaluation). Operators: any tenant;
 * partner staff: conditionally, their partners' tenants.
 */
export const flagEvaluatePermission = createPermission({
  name: 'flags.tenant.evaluate',
  attributes: { action: 'read' },
  resourceType: FLAG_TENANT_RESOURCE_TYPE,
});

export const flagPermissions = [
  flagReadPermission,
  flagManagePermission,
  flagEvaluatePermission,
];
