import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  auditRefusals,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import {
  CatalogTenantDirectory,
  createRouterKit,
} from '@internal/plugin-dezky-node';
import { flagPermissions } from '@internal/plugin-flags-common';
import {
  DEFAULT_FLAGS_ENVIRONMENT,
  flagTenantPermissionRules,
  flagTenantResourceRef,
  notifyFlagsChanged,
} from '@internal/plugin-flags-node';
import { FlagStore } from './database/FlagStore';
import { cacheReadDecisions } from './permissions/cacheReadDecisions';
import { createRouter } from './router';
import { DefaultFlagEvaluator } from './service/DefaultFlagEvaluator';
import { AuditFlagHistory } from './service/FlagHistory';
import { FlagService } from './service/FlagService';
import { SEED_FLAGS } from './service/seedFlags';

/** Feature flags: the store, the API, OFREP, and the audit of every change. */
export const flagsPlugin = createBackendPlugin({
  pluginId: 'flags',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
        trail: auditTrailServiceRef,
      },
      async init({
        config,
        logger,
        auth,
        discovery,
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        catalog,
        trail,
      }) {
        const tenants = new CatalogTenantDirectory({ catalog, auth });
        permissionsRegistry.addPermissions(flagPermissions);
        permissionsRegistry.addResourceType({
          resourceRef: flagTenantResourceRef,
          rules: Object.values(flagTenantPermissionRules),
          // POST /api/permission/authorize with a resourceRef (a tenant ref)
          getResources: refs => Promise.all(refs.map(r => tenants.byRef(r))),
        });

        const store = await FlagStore.create({ database });
        const evaluator = new DefaultFlagEvaluator({
          store,
          tenants,
          environment:
            config.getOptionalString('flags.environment') ??
            DEFAULT_FLAGS_ENVIRONMENT,
        });
        // after each committed change, the flags clients of this process
        // (flagsServiceRef) read the new flags on their next call
        const service = new FlagService({
          store,
          trail,
          tenants,
          evaluator,
          onChange: notifyFlagsChanged,
        });

        const seeded = await service.seed(SEED_FLAGS);
        if (seeded.length) {
          logger.info(`Flags: seeded ${seeded.join(', ')}`);
        }

        httpRouter.use(
          await createRouter({
            kit: createRouterKit({
              httpAuth,
              // a user's decisions on reading are kept 2 s (docs/flags.md)
              permissions: cacheReadDecisions(permissions),
              permissionsRegistry,
              tenants,
              refusals: auditRefusals(trail),
            }),
            service,
            evaluator,
            tenants,
            history: new AuditFlagHistory({ discovery, auth }),
          }),
        );
      },
    });
  },
});
