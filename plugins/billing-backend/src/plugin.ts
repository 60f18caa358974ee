import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  auditRefusals,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import { billingPermissions, NewPrice } from '@internal/plugin-billing-common';
import {
  createRouterKit,
  dezkyAccessServiceRef,
} from '@internal/plugin-dezky-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  billingTenantPermissionRules,
  billingTenantResourceRef,
} from '@internal/plugin-billing-node';
import {
  followLifecycleEvents,
  provisioningServiceRef,
} from '@internal/plugin-provisioning-node';
import { PriceStore } from './database/PriceStore';
import { TenantBillingStore } from './database/TenantBillingStore';
import { BillingContextResolver } from './service/BillingContextResolver';
import { TenantBillingService } from './service/TenantBillingService';
import { createRouter } from './router';
import { PriceService } from './service/PriceService';
import { RepricingStore } from './database/RepricingStore';
import { BillingEngine } from './service/BillingEngine';
import { BillingReconciler } from './service/BillingReconciler';
import { Repricer } from './service/Repricer';
import {
  BILLING_ENGINE_FLAG,
  connectStripe,
  readFlag,
} from './service/stripeClient';
import { flagsServiceRef } from '@internal/plugin-flags-node';
import { InvoiceStore } from './database/InvoiceStore';
import { StripeEventStore } from './database/StripeEventStore';
import { InvoiceService } from './service/InvoiceService';
import { WebhookService } from './service/WebhookService';
import { createWebhookRouter } from './webhookRouter';
import { readDurationFromConfig } from '@backstage/config';
import { MrrHistoryStore } from './database/MrrHistoryStore';
import { PayoutStore } from './database/PayoutStore';
import { MrrHistoryService } from './service/MrrHistoryService';
import { PayoutService } from './service/PayoutService';
import { catalogPartnerTerms } from './service/partnerTerms';
import { ReportService } from './service/ReportService';
import { seedDemoHistory } from './service/demoHistory';
import { SavedReportService } from './service/SavedReportService';
import { SavedReportStore } from './database/SavedReportStore';
import { TenantHealthStore } from './database/TenantHealthStore';
import {
  catalogTenantIntegrations,
  healthStatusReader,
  provisioningPhases,
  TenantHealthService,
} from './service/TenantHealthService';

/**
 * Billing (docs/billing.md): the price catalog, each tenant's subscription
 * record from its lifecycle events, Stripe subscriptions that follow them
 * (when connected), the billing reconcile, MRR.
 */
export const billingPlugin = createBackendPlugin({
  pluginId: 'billing',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        provisioning: provisioningServiceRef,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        trail: auditTrailServiceRef,
        flags: flagsServiceRef,
        access: dezkyAccessServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(billingPermissions);
        const store = await PriceStore.create(deps);
        const knex = await deps.database.getClient();
        const tenantStore = new TenantBillingStore(knex);
        deps.permissionsRegistry.addResourceType({
          resourceRef: billingTenantResourceRef,
          rules: Object.values(billingTenantPermissionRules),
          getResources: refs => Promise.all(refs.map(r => tenantStore.get(r))),
        });
        const stripe = connectStripe(deps.config);
        deps.logger.info(`billing: ${stripe.status.message}`);
        const tenants = new TenantBillingService({
          store: tenantStore,
          trail: deps.trail,
          context: new BillingContextResolver({
            catalog: deps.catalog,
            auth: deps.auth,
            prices: store,
            cycle:
              deps.config.getOptionalString('billing.defaultCycle') === 'yearly'
                ? 'yearly'
                : 'monthly',
            stripeConnected: stripe.client !== undefined,
          }),
        });
        const engine = new BillingEngine({
          store: tenantStore,
          prices: store,
          stripe,
          flags: deps.flags,
          trail: deps.trail,
          logger: deps.logger,
        });
        const outcomes = new RepricingStore(knex);
        const repricer = new Repricer({
          tenants: tenantStore,
          outcomes,
          engine,
          trail: deps.trail,
          logger: deps.logger,
        });
        const reconciler = new BillingReconciler({
          store: tenantStore,
          tenants,
          engine,
          repricer,
        });
        // each tenant's lifecycle, in order, at least once (a repeat is
        // ignored locally; the Stripe side compares before it changes)
        await followLifecycleEvents({
          provisioning: deps.provisioning,
          scheduler: deps.scheduler,
          subscriber: 'billing',
          handle: async event => {
            await tenants.handle(event);
            await engine.sync(event.tenantRef);
          },
        });
        await deps.scheduler.scheduleTask({
          id: 'billing-reconcile',
          scope: 'global',
          frequency: deps.config.has('billing.reconcile.frequency')
            ? readDurationFromConfig(deps.config, {
                key: 'billing.reconcile.frequency',
              })
            : { minutes: 5 },
          timeout: { minutes: 30 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            const summary = await reconciler.reconcile();
            deps.logger.info(
              `billing reconcile: ${summary.tenants} tenants, ${summary.inSync} in sync with Stripe, ${summary.outOfSync} out of sync, re-pricing ${summary.repricingMoved} moved / ${summary.repricingFailed} failed`,
            );
          },
        });
        const prices = new PriceService({
          store,
          trail: deps.trail,
          repricer,
          outcomes,
        });
        const seeded = await prices.seed(
          (deps.config.getOptional<NewPrice[]>('billing.seedPrices') ?? []).map(
            p => ({ ...p }),
          ),
        );
        if (seeded) deps.logger.info(`billing: seeded ${seeded} prices`);
        const webhooks = new WebhookService({
          store: new StripeEventStore(knex),
          stripe,
          trail: deps.trail,
          logger: deps.logger,
        });
        // the audit events of webhook events not forwarded at once (the
        // audit chain was down, the process stopped): every few seconds
        await deps.scheduler.scheduleTask({
          id: 'billing-stripe-event-audit',
          frequency: { seconds: 10 },
          timeout: { minutes: 5 },
          fn: async () => {
            await webhooks.forwardAudit();
          },
        });
        const invoices = new InvoiceService({
          store: new InvoiceStore(knex),
          tenants,
        });
        // PAYOUTS_AUTOGEN=false: the snapshot is still taken hourly, payouts
        // only on POST /payouts/generate
        const payoutsAutogen = readFlag(
          deps.config,
          'billing.payouts.autogen',
          true,
        );
        const history = new MrrHistoryStore(knex);
        const snapshots = new MrrHistoryService({
          store: history,
          trail: deps.trail,
        });
        const payouts = new PayoutService({
          payouts: new PayoutStore(knex),
          history,
          partners: catalogPartnerTerms(deps),
          trail: deps.trail,
        });
        // each tenant's health (docs/reports.md#health) every few minutes,
        // and again right before each snapshot copies it; a failed refresh
        // writes nothing (each tenant keeps its last health)
        const health = new TenantHealthService({
          store: new TenantHealthStore(knex),
          sources: {
            provisioning: provisioningPhases(deps.provisioning),
            integrations: healthStatusReader(deps),
            catalog: catalogTenantIntegrations(deps),
          },
        });
        const refreshHealth = async () => {
          const h = await health.refresh();
          deps.logger.info(
            `billing: tenant health of ${h.tenants} tenants: ${h.ok} ok, ${h.warn} warn, ${h.bad} bad`,
          );
        };
        await deps.scheduler.scheduleTask({
          id: 'billing-tenant-health',
          scope: 'global',
          frequency: deps.config.has('billing.health.frequency')
            ? readDurationFromConfig(deps.config, {
                key: 'billing.health.frequency',
              })
            : { minutes: 5 },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 20 },
          fn: refreshHealth,
        });
        // today's MRR snapshot, re-taken every hour until the day ends (a
        // day's last run is its final snapshot), then the current month's
        // payouts (which closes the month before on the first run after it)
        await deps.scheduler.scheduleTask({
          id: 'billing-mrr-snapshot',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 15 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            await refreshHealth().catch(error =>
              deps.logger.error(
                `billing: the MRR snapshot goes on with the last health: ${error}`,
              ),
            );
            const taken = await snapshots.takeToday();
            if (!payoutsAutogen) {
              deps.logger.info(
                `billing: MRR snapshot ${taken.day} (${taken.tenants} tenants); payouts not generated (billing.payouts.autogen is false)`,
              );
              return;
            }
            const generated = await payouts.generate();
            deps.logger.info(
              `billing: MRR snapshot ${taken.day} (${taken.tenants} tenants); payouts ${generated.month}: ${generated.created} created, ${generated.changed} changed, ${generated.closed} closed`,
            );
          },
        });
        // development only: a demo MRR history for a fresh database, once
        // billing knows tenants (docs/reports.md#demo-history)
        const demoMonths = Number(
          deps.config.getOptional('billing.demoHistory.months') ?? 0,
        );
        if (
          !Number.isInteger(demoMonths) ||
          demoMonths < 0 ||
          demoMonths > 36
        ) {
          throw new Error(
            `billing.demoHistory.months must be a whole number from 0 to 36, got ${JSON.stringify(
              deps.config.getOptional('billing.demoHistory.months'),
            )}`,
          );
        }
        if (demoMonths > 0) {
          let demoDone = false;
          let demoRuns = 0;
          await deps.scheduler.scheduleTask({
            id: 'billing-demo-history',
            scope: 'global',
            frequency: { seconds: 15 },
            timeout: { minutes: 5 },
            initialDelay: { seconds: 10 },
            fn: async () => {
              if (demoDone) return;
              const outcome = await seedDemoHistory({
                history,
                payouts,
                months: demoMonths,
                logger: deps.logger,
                // for the first 3 minutes: until the health task has run
                waitForHealth: ++demoRuns <= 12,
              });
              demoDone = outcome !== 'waiting';
            },
          });
        }
        // Stripe signs its webhooks: the raw body is verified, no user token
        deps.httpRouter.use(createWebhookRouter({ webhooks }));
        deps.httpRouter.addAuthPolicy({
          path: '/stripe/webhook',
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          await createRouter({
            tenants,
            kit: createRouterKit({
              httpAuth: deps.httpAuth,
              permissions: deps.permissions,
              permissionsRegistry: deps.permissionsRegistry,
              refusals: auditRefusals(deps.trail),
            }),
            prices,
            reconciler,
            invoices,
            webhooks,
            payouts,
            snapshots,
            reports: new ReportService({ knex }),
            saved: new SavedReportService({
              store: new SavedReportStore(knex),
              trail: deps.trail,
            }),
            access: deps.access,
            status: { stripe: stripe.status, flag: BILLING_ENGINE_FLAG },
          }),
        );
      },
    });
  },
});
