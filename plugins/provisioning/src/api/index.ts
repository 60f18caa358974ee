export { provisioningApiRef } from './ProvisioningApi';
export type { ListTenantsFilters, ProvisioningApi } from './ProvisioningApi';
export {
  ProvisioningClient,
  errorMessage,
  isNotFound,
} from './ProvisioningClient';
export { MEMBER_ROLES } from '@internal/plugin-provisioning-common';
export type {
  MemberAction,
  MemberActionResult,
  MemberRole,
  NewMember,
  TenantMember,
  TenantMemberList,
} from '@internal/plugin-provisioning-common';
