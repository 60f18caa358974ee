/*
 * For the billing backend's tests: the people they act as (and the header
 * that signs a request in as one), and the permissions service deciding as
 * the portal's policy does for billing (plugins/permission-backend-module-dezky):
 * operators may do everything; staff of the partner `nord` read prices and,
 * conditionally, their partner's tenants' billing; everything else is
 * denied.
 */
import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  billingPriceReadPermission,
  billingTenantReadPermission,
} from '@internal/plugin-billing-common';

export const OPERATOR = 'user:default/anna';
/** Staff of {@link NORD}. */
export const STAFF = 'user:default/jana';
/** Signed in, neither operator nor partner staff. */
export const OUTSIDER = 'user:default/olaf';
export const NORD = 'partner:default/nord';

/** The authorization header of a request as `user`. */
export const as = (user: string) =>
  mockCredentials.user.header(user) as unknown as string;

/** As the portal's policy decides for billing. */
export function decideBilling(
  permission: Permission,
  credentials: BackstageCredentials,
): PolicyDecision {
  const user = (credentials.principal as { userEntityRef?: string })
    .userEntityRef;
  if (user === OPERATOR) return { result: AuthorizeResult.ALLOW };
  if (user === STAFF && permission.name === billingPriceReadPermission.name) {
    return { result: AuthorizeResult.ALLOW };
  }
  if (user === STAFF && permission.name === billingTenantReadPermission.name) {
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'billing',
      resourceType: 'billing-tenant',
      conditions: {
        rule: 'IS_TENANT_OF_PARTNER',
        resourceType: 'billing-tenant',
        params: { partnerRefs: [NORD] },
      },
    };
  }
  // anything else (price edits, sync, payouts' management…): denied, as
  // the policy denies permissions it does not name to partner staff
  return { result: AuthorizeResult.DENY };
}

/** The permissions service of a test backend, deciding with {@link decideBilling}. */
export const billingPermissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    authorize: async (requests, { credentials }) =>
      requests.map(r => ({
        result:
          decideBilling(r.permission, credentials).result ===
          AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
    authorizeConditional: async (requests, { credentials }) =>
      requests.map(r => decideBilling(r.permission, credentials)) as any,
  }),
});
