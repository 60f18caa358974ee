import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@internal/plugin-audit-common';
import { AuditStore } from './database/AuditStore';
import { createRouter } from './router';
import { AuditService } from './services/AuditService';
import { CheckpointSigner } from './services/CheckpointSigner';

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
        scheduler: coreServices.scheduler,
        config: coreServices.rootConfig,
      },
      async init({
        database,
        logger,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        scheduler,
        config,
      }) {
        permissionsRegistry.addPermissions(auditPermissions);
        const audit = new AuditService(
          await AuditStore.create({ database }),
          logger,
          await CheckpointSigner.fromConfig(config),
        );
        await audit.checkpoint('startup');
        await scheduler.scheduleTask({
          id: 'audit-checkpoint',
          frequency: { minutes: 5 },
          timeout: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            await audit.checkpoint('interval');
          },
        });
        httpRouter.addAuthPolicy({ path: '/keys', allow: 'unauthenticated' });
        httpRouter.use(await createRouter({ httpAuth, permissions, audit }));
      },
    });
  },
});
