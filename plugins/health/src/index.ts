/**
 * Integration health in the portal: the Infrastructure page (a card per
 * Integration, a banner while any is bad, the planned ones apart) and the
 * Health tab on Integration pages (uptime, p50/p95, a latency chart per
 * window, monthly uptime, incidents).
 *
 * @packageDocumentation
 */
export { healthPlugin as default } from './plugin';
export { infrastructureRouteRef } from './routes';
export { healthApiRef, HealthClient } from './api';
export type { HealthApi } from './api';
