import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { auditTrailServiceRef } from '@internal/plugin-audit-node';
import { flagPermissions } from '@internal/plugin-flags-common';
import {
  DEFAULT_FLAGS_ENVIRONMENT,
  flagTenantPermissionRules,
  flagTenantResourceRef,
  notifyFlagsChanged,
} from '@internal/plugin-flags-node';
import { FlagStore } from './database/FlagStore';
import { createRouter } from './router';
import { DefaultFlagEvaluator } from './service/DefaultFlagEvaluator';
import { AuditFlagHistory } from './service/FlagHistory';
import { FlagService } from './service/FlagService';
import { SEED_FLAGS } from './service/seedFlags';
import { TenantAccess } from './service/TenantAccess';
import { CatalogTenantDirectory } from './service/TenantDirectory';

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
        permissionsRegistry.addPermissions(flagPermissions);
        permissionsRegistry.addResourceType({
          resourceRef: flagTenantResourceRef,
          rules: Object.values(flagTenantPermissionRules),
        });

        const store = await FlagStore.create({ database });
        const tenants = new CatalogTenantDirectory({ catalog, auth });
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
          onChange: notifyFlagsChanged,
        });

        const seeded = await service.seed(SEED_FLAGS);
        if (seeded.length) {
          logger.info(`Flags: seeded ${seeded.join(', ')}`);
        }

        httpRouter.use(
          await createRouter({
            httpAuth,
            permissions,
            service,
            evaluator,
            tenants,
            tenantAccess: new TenantAccess({
              permissions,
              permissionsRegistry,
            }),
            history: new AuditFlagHistory({ discovery, auth }),
          }),
        );
      },
    });
  },
});
