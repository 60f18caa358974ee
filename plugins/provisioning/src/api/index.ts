export { provisioningApiRef } from './ProvisioningApi';
export type { ListTenantsFilters, ProvisioningApi } from './ProvisioningApi';
export {
  ProvisioningClient,
  errorMessage,
  isNotFound,
} from './ProvisioningClient';
