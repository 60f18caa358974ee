export { healthApiRef } from './HealthApi';
export type { HealthApi } from './HealthApi';
export { HealthClient, errorMessage } from './HealthClient';
