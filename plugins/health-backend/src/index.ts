/**
 * The integration health backend: probes from the catalog on the
 * scheduler, history with uptime, latency percentiles and incidents, and
 * the API under /api/health (docs/health.md).
 *
 * @packageDocumentation
 */
export { healthPlugin as default } from './plugin';
export { healthPlugin } from './plugin';
export { HealthStore, type HealthSample } from './database/HealthStore';
export { HealthService, type HealthIntegration } from './service/HealthService';
export { runProbe, runProbes, readProbeSpec, type ProbeSpec } from './probes';
