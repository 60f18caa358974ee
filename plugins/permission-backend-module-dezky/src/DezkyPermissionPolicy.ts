import { PolicyDecision } from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { DezkyAccessService } from '@internal/plugin-dezky-node';
import { decide, DecideOptions } from './decide';

/**
 * Backstage's permission policy for the portal: asks dezky-node who the
 * caller is and lets `decide` answer. Requests without a user are backend
 * services (plugins calling each other, external callers with a configured
 * token) and are decided as such.
 */
export class DezkyPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly access: DezkyAccessService,
    private readonly options: DecideOptions = {},
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const access = user
      ? await this.access.forCredentials(user.credentials)
      : {
          role: 'service' as const,
          groupRefs: [],
          partnerRefs: [],
          staffGroupRefs: [],
        };
    return decide(request.permission, access, this.options);
  }
}
