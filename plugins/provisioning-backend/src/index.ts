/**
 * Provisioning backend: makes Authentik, Stalwart and OCIS match the
 * catalog, tenant by tenant (docs/provisioning.md). Besides the plugin, the
 * engine's parts are exported for scripts/bench/provisioning, the domain
 * checks' for scripts/bench/domains.
 *
 * @packageDocumentation
 */
export { provisioningPlugin as default } from './plugin';
export { ProvisioningStore } from './database/ProvisioningStore';
export { ProvisioningEngine } from './engine/ProvisioningEngine';
export { Reconciler } from './engine/Reconciler';
export type { DesiredTenant } from './engine/desired';
export { createSystems, type Systems } from './systems';
export { DomainService } from './domains/DomainService';
export { PinnedResolver } from './domains/DnsResolver';
