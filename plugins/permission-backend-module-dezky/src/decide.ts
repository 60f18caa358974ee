import { parseEntityRef } from '@backstage/catalog-model';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  Permission,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionFactory,
  createConditionExports,
} from '@backstage/plugin-permission-node';
import { auditEventReadPermission } from '@internal/plugin-audit-common';
import {
  billingPriceReadPermission,
  billingTenantReadPermission,
} from '@internal/plugin-billing-common';
import {
  billingTenantPermissionRules,
  billingTenantResourceRef,
} from '@internal/plugin-billing-node';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
} from '@internal/plugin-audit-node';
import {
  flagEvaluatePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import {
  flagTenantPermissionRules,
  flagTenantResourceRef,
} from '@internal/plugin-flags-node';
import {
  provisioningTenantDomainsManagePermission,
  provisioningTenantMembersManagePermission,
  provisioningTenantMembersReadPermission,
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
  provisioningTenantSuspendPermission,
  provisioningTenantTerminatePermission,
} from '@internal/plugin-provisioning-common';
import {
  provisioningTenantPermissionRules,
  provisioningTenantResourceRef,
} from '@internal/plugin-provisioning-node';
import {
  DezkyAccess,
  isMemberOfGroupCatalogRule,
  isTenantOfPartnerCatalogRule,
} from '@internal/plugin-dezky-node';

const isTenantOfPartner = createConditionFactory(isTenantOfPartnerCatalogRule);
const isMemberOfGroup = createConditionFactory(isMemberOfGroupCatalogRule);

const auditEvents = createConditionExports({
  resourceRef: auditEventResourceRef,
  rules: auditEventPermissionRules,
});

const flagTenants = createConditionExports({
  resourceRef: flagTenantResourceRef,
  rules: flagTenantPermissionRules,
});

const billingTenants = createConditionExports({
  resourceRef: billingTenantResourceRef,
  rules: billingTenantPermissionRules,
});
const provisioningTenants = createConditionExports({
  resourceRef: provisioningTenantResourceRef,
  rules: provisioningTenantPermissionRules,
});

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

type CatalogCondition = PermissionCriteria<
  PermissionCondition<'catalog-entity'>
>;

/** The catalog entity with exactly this ref (kind, namespace and name). */
function isEntity(ref: string): CatalogCondition {
  const { kind, namespace, name } = parseEntityRef(ref);
  return {
    allOf: [
      catalogConditions.isEntityKind({ kinds: [kind] }),
      catalogConditions.hasMetadata({ key: 'namespace', value: namespace }),
      catalogConditions.hasMetadata({ key: 'name', value: name }),
    ],
  };
}

/**
 * What a user may read of the catalog, as conditions the catalog pushes into
 * its own query:
 * - partner staff: their partners, those partners' tenants, their staff
 *   groups and those groups' members, all integrations (read only), and
 *   their own user entity;
 * - anyone else signed in: their own user entity only.
 */
export function catalogReadConditions(
  access: DezkyAccess & { userRef: string },
): CatalogCondition {
  const visible: [CatalogCondition, ...CatalogCondition[]] = [
    isEntity(access.userRef),
  ];
  if (access.role === 'partner-staff') {
    visible.push(isTenantOfPartner({ partnerRefs: access.partnerRefs }));
    visible.push(...access.partnerRefs.map(isEntity));
    visible.push(...access.staffGroupRefs.map(isEntity));
    visible.push(isMemberOfGroup({ groupRefs: access.staffGroupRefs }));
    visible.push(catalogConditions.isEntityKind({ kinds: ['Integration'] }));
  }
  return { anyOf: visible };
}

/** What the configuration changes in the policy. */
export interface DecideOptions {
  /** `provisioning.lifecycle.partnersMayTerminate` (default false). */
  partnersMayTerminate?: boolean;
}

/**
 * The one place that decides who may do what in the Dezky portal.
 * Operators and backend services: everything. Partner staff: reading the
 * catalog entities above, the audit events of their partners (which
 * include their tenants' events), the feature flags, and the flags'
 * effect on their partners' tenants, and their partners' tenants'
 * provisioning (read, reconcile, suspend and resume, manage their mail
 * domains' DNS checks, list and manage their members; terminate only where
 * `options.partnersMayTerminate`). Other users: their own catalog
 * entity. Anything not named here — catalog mutations (locations, refresh,
 * unregister), verifying the audit chain, changing flags, unknown
 * permissions — is denied.
 */
export function decide(
  permission: Permission,
  access: DezkyAccess,
  options: DecideOptions = {},
): PolicyDecision {
  if (access.role === 'operator' || access.role === 'service') {
    return ALLOW;
  }
  if (access.userRef && isPermission(permission, catalogEntityReadPermission)) {
    return createCatalogConditionalDecision(
      permission,
      catalogReadConditions({ ...access, userRef: access.userRef }),
    );
  }
  if (
    access.role === 'partner-staff' &&
    isPermission(permission, auditEventReadPermission)
  ) {
    return auditEvents.createConditionalDecision(
      permission,
      auditEvents.conditions.belongsToPartner({
        partnerRefs: access.partnerRefs,
      }),
    );
  }
  if (access.role === 'partner-staff') {
    // the price catalog: partners sell at these prices (editing is operators')
    if (
      isPermission(permission, flagReadPermission) ||
      isPermission(permission, billingPriceReadPermission)
    ) {
      return ALLOW;
    }
    if (
      isPermission(permission, provisioningTenantReadPermission) ||
      isPermission(permission, provisioningTenantReconcilePermission) ||
      isPermission(permission, provisioningTenantSuspendPermission) ||
      isPermission(permission, provisioningTenantDomainsManagePermission) ||
      isPermission(permission, provisioningTenantMembersReadPermission) ||
      isPermission(permission, provisioningTenantMembersManagePermission) ||
      (options.partnersMayTerminate === true &&
        isPermission(permission, provisioningTenantTerminatePermission))
    ) {
      return provisioningTenants.createConditionalDecision(
        permission,
        provisioningTenants.conditions.isTenantOfPartner({
          partnerRefs: access.partnerRefs,
        }),
      );
    }
    if (isPermission(permission, billingTenantReadPermission)) {
      return billingTenants.createConditionalDecision(
        permission,
        billingTenants.conditions.isTenantOfPartner({
          partnerRefs: access.partnerRefs,
        }),
      );
    }
    if (isPermission(permission, flagEvaluatePermission)) {
      return flagTenants.createConditionalDecision(
        permission,
        flagTenants.conditions.isTenantOfPartner({
          partnerRefs: access.partnerRefs,
        }),
      );
    }
  }
  return DENY;
}
