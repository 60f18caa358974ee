import { createPermission } from '@backstage/plugin-permission-common';

/** Read audit events (operators: all; partner staff: to come, scoped to their partner). */
export const auditEventReadPermission = createPermission({
  name: 'audit.event.read',
  attributes: { action: 'read' },
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
