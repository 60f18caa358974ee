import {
  BackstageCredentials,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { flagEvaluatePermission } from '@internal/plugin-flags-common';
import {
  FlagTenantScope,
  flagTenantResourceRef,
} from '@internal/plugin-flags-node';
import { FlagTenant } from './TenantDirectory';

/** Which tenants a caller may see flag evaluations of. */
export interface TenantFilter {
  /** True for operators and services: every tenant, known to the catalog or not. */
  all: boolean;
  allows(tenant: FlagTenant): boolean;
}

/**
 * `flags.tenant.evaluate`, decided once per request and applied in memory to
 * each tenant asked about ({ tenantRef, partnerRef }): the policy answers
 * partner staff with a partner-scope condition.
 */
export class TenantAccess {
  private readonly applies: (
    decision: Parameters<ReturnType<typeof createConditionAuthorizer>>[0],
    resource: FlagTenantScope | undefined,
  ) => boolean;

  constructor(
    private readonly deps: {
      permissions: PermissionsService;
      permissionsRegistry: PermissionsRegistryService;
    },
  ) {
    this.applies = createConditionAuthorizer(
      deps.permissionsRegistry.getPermissionRuleset(flagTenantResourceRef),
    );
  }

  /** Throws NotAllowedError (403) when the caller may evaluate no tenant. */
  async filter(credentials: BackstageCredentials): Promise<TenantFilter> {
    const [decision] = await this.deps.permissions.authorizeConditional(
      [{ permission: flagEvaluatePermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(`Not allowed: ${flagEvaluatePermission.name}`);
    }
    if (decision.result === AuthorizeResult.ALLOW) {
      return { all: true, allows: () => true };
    }
    return {
      all: false,
      allows: tenant =>
        this.applies(decision, {
          tenantRef: tenant.tenantRef,
          partnerRef: tenant.partnerRef,
        }),
    };
  }
}
