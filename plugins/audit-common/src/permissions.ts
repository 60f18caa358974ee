import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of audit events, for conditional (partner-scoped) decisions. */
export const AUDIT_EVENT_RESOURCE_TYPE = 'audit-event';

/**
 * Read audit events. Operators: all; partner staff: conditionally, their
 * partner's events and its tenants', with the conditions applied in SQL.
 */
export const auditEventReadPermission = createPermission({
  name: 'audit.event.read',
  attributes: { action: 'read' },
  resourceType: AUDIT_EVENT_RESOURCE_TYPE,
});

/** Verify the chain and read its head. */
export const auditChainVerifyPermission = createPermission({
  name: 'audit.chain.verify',
  attributes: { action: 'read' },
});

/** Sign a checkpoint of the chain head now. */
export const auditCheckpointCreatePermission = createPermission({
  name: 'audit.checkpoint.create',
  attributes: { action: 'create' },
});

export const auditPermissions = [
  auditEventReadPermission,
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
];
