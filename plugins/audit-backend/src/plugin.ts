import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@internal/plugin-audit-common';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
  auditRefusals,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import { createRouterKit } from '@internal/plugin-dezky-node';
import {
  createStalwartWebhookRouter,
  IngestContext,
  scheduleIngest,
  STALWART_WEBHOOK_PATH,
  stalwartWebhookSecret,
} from './ingest';
import { readArchiveConfig } from './archive/config';
import { catalogReadiness } from './ingest/catalogReadiness';
import { createRouter } from './router';
import { auditChainServiceRef } from './services/factories';
import { CatalogTenantDirectory } from './services/TenantDirectory';

/** The audit trail: a hash-chained event store, its verifier and API. */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        audit: auditChainServiceRef,
        trail: auditTrailServiceRef,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
      },
      async init({
        audit,
        trail,
        config,
        logger,
        auth,
        catalog,
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
          // a resourceRef is an event's seq ("42"): its tenant and partner,
          // for the permission backend's conditional decisions on one event
          getResources: refs => audit.eventScopes(refs),
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

        // the cold archive (docs/audit.md#cold-archive): verify walks its
        // batches whenever any are recorded; runs daily from audit.archive.hour
        // (UTC) when enabled — an hourly tick, as the scheduler's cron is in
        // the server's local time — and on an operator's POST /archive/run
        const archiveSettings = readArchiveConfig(config);
        const archive = audit.enableArchive(archiveSettings);
        if (archiveSettings.enabled) {
          await scheduler.scheduleTask({
            id: 'audit-archive',
            frequency: { cron: '0 * * * *' },
            timeout: { hours: 6 },
            scope: 'global',
            fn: async () => {
              const result = await archive.runScheduled();
              if (!result.skipped) {
                logger.info(
                  `Audit archive: ${result.events} events in ${result.batches.length} batch(es) archived (older than ${result.cutoff})`,
                );
              }
            },
          });
        }

        // external audit logs: Authentik and OCIS pulled on a schedule,
        // Stalwart pushed to a signed webhook (docs/audit.md#ingest)
        const tenants = new CatalogTenantDirectory({ catalog, auth });
        const ingest: IngestContext = {
          record: inputs => trail.record(inputs),
          cursors: audit.cursors,
          tenants,
          logger,
          catalog: catalogReadiness({ catalog, auth }),
        };
        await scheduleIngest({ config, scheduler, ctx: ingest, logger });
        const stalwartSecret = stalwartWebhookSecret(config);
        if (stalwartSecret) {
          // the HMAC signature over the raw body is the authentication
          httpRouter.addAuthPolicy({
            path: STALWART_WEBHOOK_PATH,
            allow: 'unauthenticated',
          });
        }

        httpRouter.addAuthPolicy({ path: '/keys', allow: 'unauthenticated' });
        httpRouter.use(
          await createRouter({
            kit: createRouterKit({
              httpAuth,
              permissions,
              permissionsRegistry,
              tenants,
              refusals: auditRefusals(trail),
            }),
            audit,
            rawRouters: stalwartSecret
              ? [
                  createStalwartWebhookRouter({
                    ctx: ingest,
                    secret: stalwartSecret,
                  }),
                ]
              : [],
          }),
        );
      },
    });
  },
});
