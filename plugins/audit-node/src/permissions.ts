import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { AUDIT_EVENT_RESOURCE_TYPE } from '@internal/plugin-audit-common';
import {
  createPartnerScopedRules,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';

/** The fields of an audit event the partner-scope rules look at. */
export type AuditEventScope = { tenantRef?: string; partnerRef?: string };

/**
 * The audit event resource type: the permission framework's handle on it,
 * for registering the rules (backend) and building conditions (policy).
 *
 * @public
 */
export const auditEventResourceRef = createPermissionResourceRef<
  AuditEventScope,
  PartnerScopeQuery
>().with({ pluginId: 'audit', resourceType: AUDIT_EVENT_RESOURCE_TYPE });

/**
 * The partner-scope rules for audit events (IS_TENANT_OF_PARTNER,
 * BELONGS_TO_PARTNER, IS_TENANT), the same rules every Dezky resource uses.
 *
 * @public
 */
export const auditEventPermissionRules = createPartnerScopedRules({
  resourceRef: auditEventResourceRef,
  partnerRefOf: e => e.partnerRef,
  tenantRefOf: e => e.tenantRef,
});
