import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  auditRefusals,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import { createRouterKit } from '@internal/plugin-dezky-node';
import { flagsServiceRef } from '@internal/plugin-flags-node';
import { provisioningPermissions } from '@internal/plugin-provisioning-common';
import {
  provisioningTenantPermissionRules,
  provisioningTenantResourceRef,
} from '@internal/plugin-provisioning-node';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { ProvisioningStore } from './database/ProvisioningStore';
import { readDesiredTenants } from './engine/catalogTenants';
import { ProvisioningEngine } from './engine/ProvisioningEngine';
import { PROVISIONING_FLAG, Reconciler } from './engine/Reconciler';
import { createRouter } from './router';
import { domainServiceFromConfig } from './domains/domainsConfig';
import { MemberService } from './members/MemberService';
import { LifecycleService } from './service/LifecycleService';
import { ProvisioningService } from './service/ProvisioningService';
import { createSystems } from './systems';

/** Seconds between catalog reads (config `provisioning.catalogSyncInterval`). */
export const DEFAULT_CATALOG_SYNC_SECONDS = 5;
/** Seconds between drift resyncs (config `provisioning.driftResyncInterval`). */
export const DEFAULT_DRIFT_RESYNC_SECONDS = 600;

/** Provisioning: the reconcile engine and its API (docs/provisioning.md). */
export const provisioningPlugin = createBackendPlugin({
  pluginId: 'provisioning',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        flags: flagsServiceRef,
        trail: auditTrailServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler, permissionsRegistry } = deps;
        const grace = config.has('provisioning.lifecycle.gracePeriod')
          ? durationToMilliseconds(
              readDurationFromConfig(config, {
                key: 'provisioning.lifecycle.gracePeriod',
              }),
            )
          : undefined;
        const store = await ProvisioningStore.create({
          database: deps.database,
          ...(grace !== undefined ? { graceMs: grace } : {}),
        });
        permissionsRegistry.addPermissions(provisioningPermissions);
        permissionsRegistry.addResourceType({
          resourceRef: provisioningTenantResourceRef,
          rules: Object.values(provisioningTenantPermissionRules),
          getResources: refs => Promise.all(refs.map(r => store.tenant(r))),
        });

        const { drivers, clients } = createSystems(config, store);
        const engineConfig = config.getOptionalConfig('provisioning.engine');
        const leaseSeconds = engineConfig?.getOptionalNumber('leaseSeconds');
        const engine = new ProvisioningEngine({
          store,
          drivers,
          logger,
          reconciler: new Reconciler({
            store,
            drivers,
            logger,
            trail: deps.trail,
            enabled: ref => deps.flags.isEnabled(PROVISIONING_FLAG, ref),
          }),
          options: {
            ...(engineConfig?.getOptionalNumber('concurrency')
              ? { concurrency: engineConfig.getNumber('concurrency') }
              : {}),
            ...(leaseSeconds ? { leaseMs: leaseSeconds * 1000 } : {}),
          },
        });
        deps.lifecycle.addShutdownHook(() => engine.stop());

        await scheduler.scheduleTask({
          id: 'provisioning-catalog-sync',
          frequency: {
            seconds:
              config.getOptionalNumber('provisioning.catalogSyncInterval') ??
              DEFAULT_CATALOG_SYNC_SECONDS,
          },
          timeout: { minutes: 2 },
          scope: 'global',
          fn: async () => {
            await engine.sync(await readDesiredTenants(deps));
          },
        });
        await scheduler.scheduleTask({
          id: 'provisioning-work',
          frequency: { seconds: 2 },
          timeout: { minutes: 2 },
          scope: 'local',
          fn: async () => {
            await engine.drain();
          },
        });
        await scheduler.scheduleTask({
          id: 'provisioning-drift-resync',
          frequency: {
            seconds:
              config.getOptionalNumber('provisioning.driftResyncInterval') ??
              DEFAULT_DRIFT_RESYNC_SECONDS,
          },
          initialDelay: { seconds: 30 },
          timeout: { minutes: 10 },
          scope: 'global',
          fn: async () => {
            const report = await engine.resync();
            for (const d of report.drifted) {
              logger.info(
                `provisioning drift: ${d.tenantRef} ${d.step}: ${d.message}`,
              );
            }
          },
        });

        const domains = domainServiceFromConfig(config, store.knex, deps.trail);
        await scheduler.scheduleTask({
          id: 'provisioning-domain-checks',
          frequency: { minutes: 1 },
          initialDelay: { seconds: 20 },
          timeout: { minutes: 2 },
          scope: 'global',
          fn: async () => {
            await domains.recheckDue();
          },
        });

        const service = new ProvisioningService({ store, engine });
        deps.httpRouter.use(
          await createRouter({
            store,
            lifecycle: new LifecycleService({
              store,
              engine,
              provisioning: service,
              trail: deps.trail,
              userName: async userRef => {
                const user = await deps.catalog.getEntityByRef(userRef, {
                  credentials: await deps.auth.getOwnServiceCredentials(),
                });
                const email = (
                  user?.spec as { profile?: { email?: string } } | undefined
                )?.profile?.email;
                return email ?? userRef.replace(/^user:(default\/)?/, '');
              },
            }),
            kit: createRouterKit({
              httpAuth: deps.httpAuth,
              permissions: deps.permissions,
              permissionsRegistry,
              refusals: auditRefusals(deps.trail),
            }),
            service,
            domains,
            members: new MemberService({
              store,
              find: (name, scope) => service.find(name, scope),
              ...clients,
              trail: deps.trail,
              userEmail: async userRef => {
                const user = await deps.catalog.getEntityByRef(userRef, {
                  credentials: await deps.auth.getOwnServiceCredentials(),
                });
                return (
                  user?.spec as { profile?: { email?: string } } | undefined
                )?.profile?.email;
              },
            }),
          }),
        );
      },
    });
  },
});
