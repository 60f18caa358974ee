import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@internal/plugin-audit-common';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
} from '@internal/plugin-audit-node';
import { createRouter } from './router';
import { auditChainServiceRef } from './services/factories';

/** The audit trail: a hash-chained event store, its verifier and API. */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        audit: auditChainServiceRef,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
      },
      async init({
        audit,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        scheduler,
      }) {
        permissionsRegistry.addPermissions(auditPermissions);
        permissionsRegistry.addResourceType({
          resourceRef: auditEventResourceRef,
          rules: Object.values(auditEventPermissionRules),
        });
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
        httpRouter.use(
          await createRouter({
            httpAuth,
            permissions,
            permissionsRegistry,
            audit,
          }),
        );
      },
    });
  },
});
