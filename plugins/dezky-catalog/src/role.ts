import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import {
  PLATFORM_ADMINS_GROUP_REF,
  PartnerEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import useAsync from 'react-use/esm/useAsync';

/**
 * The signed-in user's role, for what the UI offers. The server decides what
 * anyone may see or do (the permission policy); this only hides what would be
 * refused anyway.
 */
export function useIsOperator(): { loading: boolean; isOperator: boolean } {
  const identityApi = useApi(identityApiRef);
  const { loading, value } = useAsync(async () => {
    const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
    return ownershipEntityRefs.includes(PLATFORM_ADMINS_GROUP_REF);
  }, [identityApi]);
  return { loading, isOperator: value ?? false };
}

/** The partners the user is staff of, among the partners they can see. */
export function useStaffPartners(partners: PartnerEntityV1alpha1[]) {
  const identityApi = useApi(identityApiRef);
  return useAsync(async () => {
    const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
    const refs = new Set(
      ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US')),
    );
    return partners.filter(p =>
      refs.has(p.spec.owner.toLocaleLowerCase('en-US')),
    );
  }, [identityApi, partners]);
}
