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
import { healthPermissions } from '@internal/plugin-health-common';
import { HealthStore } from './database/HealthStore';
import { createRouter } from './router';
import { HealthService } from './service/HealthService';

/** Seconds between probe rounds (config `health.probeInterval`). */
export const DEFAULT_PROBE_INTERVAL_SECONDS = 30;

/** Integration health: probes from the catalog, history, the API. */
export const healthPlugin = createBackendPlugin({
  pluginId: 'health',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        trail: auditTrailServiceRef,
      },
      async init({
        config,
        logger,
        auth,
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        scheduler,
        catalog,
        trail,
      }) {
        permissionsRegistry.addPermissions(healthPermissions);

        const store = await HealthStore.create({ database });
        const service = new HealthService({ catalog, auth, store, logger });

        const seconds =
          config.getOptionalNumber('health.probeInterval') ??
          DEFAULT_PROBE_INTERVAL_SECONDS;
        await scheduler.scheduleTask({
          id: 'health-probe-round',
          frequency: { seconds },
          timeout: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            await service.runRound();
          },
        });

        httpRouter.use(
          await createRouter({
            kit: createRouterKit({
              httpAuth,
              permissions,
              refusals: auditRefusals(trail),
            }),
            service,
          }),
        );
      },
    });
  },
});
