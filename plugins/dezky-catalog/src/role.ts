import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ownerRef,
  PartnerEntityV1alpha1,
  portalOperatePermission,
} from '@internal/plugin-dezky-catalog-common';
import useAsync from 'react-use/esm/useAsync';

/**
 * Whether the signed-in user runs the portal as an operator, as the server's
 * permission policy decides it now (`dezky.portal.operate`) — not from the
 * groups in the sign-in token, which would stay stale until the next
 * sign-in. It only decides what the UI offers; the server checks every
 * action on its own.
 */
export function useIsOperator(): { loading: boolean; isOperator: boolean } {
  const { loading, allowed } = usePermission({
    permission: portalOperatePermission,
  });
  return { loading, isOperator: allowed };
}

/**
 * The partners the user is staff of, among the partners they can see: those
 * whose staff group (`spec.owner`) the user is a member of in the catalog
 * now (the User entity's memberOf relations), not at sign-in.
 */
export function useStaffPartners(partners: PartnerEntityV1alpha1[]) {
  const identityApi = useApi(identityApiRef);
  const catalogApi = useApi(catalogApiRef);
  return useAsync(async () => {
    const { userEntityRef } = await identityApi.getBackstageIdentity();
    const user = await catalogApi.getEntityByRef(userEntityRef);
    const groups = new Set(
      (user?.relations ?? [])
        .filter(r => r.type === 'memberOf')
        .map(r => r.targetRef.toLocaleLowerCase('en-US')),
    );
    return partners.filter(p =>
      groups.has(ownerRef(p)?.toLocaleLowerCase('en-US') ?? ''),
    );
  }, [identityApi, catalogApi, partners]);
}
