import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createConditionExports } from '@backstage/plugin-permission-node';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
} from '@internal/plugin-audit-node';

const conditions = createConditionExports({
  resourceRef: auditEventResourceRef,
  rules: auditEventPermissionRules,
});

/** A role as the Dezky policy sees it: operator, nobody, or staff of partners. */
export type Policy = 'allow' | 'deny' | { partnerRefs: string[] };

/**
 * A permission service (for tests) deciding as the Dezky policy would for
 * one role: allow, deny, or partner staff — audit events conditionally
 * (BELONGS_TO_PARTNER), everything else denied. `policy` may be a function,
 * read at each decision, to switch roles within one backend.
 */
export function permissionsFor(policy: Policy | (() => Policy)) {
  const current = typeof policy === 'function' ? policy : () => policy;
  const decide = (): PolicyDecision => {
    const p = current();
    if (p === 'allow') return { result: AuthorizeResult.ALLOW };
    if (p === 'deny') return { result: AuthorizeResult.DENY };
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'audit',
      resourceType: 'audit-event',
      conditions: conditions.conditions.belongsToPartner(p),
    };
  };
  const service: PermissionsService = {
    authorize: async reqs =>
      reqs.map(() => ({
        result:
          decide().result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })) as any,
    authorizeConditional: async reqs => reqs.map(decide) as any,
  };
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => service,
  });
}
