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
import { PriceStore } from './database/PriceStore';
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
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        trail: auditTrailServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(billingPermissions);
        const store = await PriceStore.create(deps);
        const prices = new PriceService({ store, trail: deps.trail });
        const seeded = await prices.seed(
          (deps.config.getOptional<NewPrice[]>('billing.seedPrices') ?? []).map(
            p => ({ ...p }),
          ),
        );
        if (seeded) deps.logger.info(`billing: seeded ${seeded} prices`);
        deps.httpRouter.use(
          await createRouter({
            kit: createRouterKit({
              httpAuth: deps.httpAuth,
              permissions: deps.permissions,
              refusals: auditRefusals(deps.trail),
            }),
            prices,
          }),
        );
      },
    });
  },
});
