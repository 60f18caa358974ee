import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  auditRefusals,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import { billingPermissions, NewPrice } from '@internal/plugin-billing-common';
import { createRouterKit } from '@internal/plugin-dezky-node';
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

/** Billing: the price catalog so far (docs/billing.md). */
export const billingPlugin = createBackendPlugin({
  pluginId: 'billing',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        provisioning: provisioningServiceRef,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        trail: auditTrailServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(billingPermissions);
        const store = await PriceStore.create(deps);
        const tenantStore = new TenantBillingStore(
          await deps.database.getClient(),
        );
        deps.permissionsRegistry.addResourceType({
          resourceRef: billingTenantResourceRef,
          rules: Object.values(billingTenantPermissionRules),
          getResources: refs => Promise.all(refs.map(r => tenantStore.get(r))),
        });
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
          }),
        });
        // each tenant's lifecycle, in order, at least once (a repeat is ignored)
        await followLifecycleEvents({
          provisioning: deps.provisioning,
          scheduler: deps.scheduler,
          subscriber: 'billing',
          handle: event => tenants.handle(event),
        });
        const prices = new PriceService({ store, trail: deps.trail });
        const seeded = await prices.seed(
          (deps.config.getOptional<NewPrice[]>('billing.seedPrices') ?? []).map(
            p => ({ ...p }),
          ),
        );
        if (seeded) deps.logger.info(`billing: seeded ${seeded} prices`);
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
          }),
        );
      },
    });
  },
});
