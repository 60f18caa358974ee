import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@internal/plugin-audit-common';
import { AuditStore } from './database/AuditStore';
import { createRouter } from './router';
import { AuditService } from './services/AuditService';

/** The audit trail: a hash-chained event store, its verifier and API. */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        database: coreServices.database,
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        database,
        logger,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
      }) {
        permissionsRegistry.addPermissions(auditPermissions);
        const audit = new AuditService(
          await AuditStore.create({ database }),
          logger,
        );
        httpRouter.use(await createRouter({ httpAuth, permissions, audit }));
      },
    });
  },
});
