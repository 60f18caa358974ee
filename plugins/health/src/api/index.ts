export { healthApiRef } from './HealthApi';
export type { HealthApi, HistoryOptions } from './HealthApi';
export { HealthClient, errorMessage } from './HealthClient';
