/*
 * For the route tests: a `billing` plugin that mounts the routes under test
 * as plugin.ts and router.ts do — billing's tables migrated, its
 * permissions and the billing-tenant resource type registered, a router
 * with the router kit's defaults and JSON parser, the caller's tenant scope
 * from the kit — and the test backend it runs in.
 */
import {
  BackendFeature,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  billingPermissions,
  billingTenantReadPermission,
} from '@internal/plugin-billing-common';
import {
  billingTenantPermissionRules,
  billingTenantResourceRef,
} from '@internal/plugin-billing-node';
import { createRouterKit, RouterKit } from '@internal/plugin-dezky-node';
import express from 'express';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import { PriceStore } from '../database/PriceStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { BillingScope } from '../service/TenantBillingService';
import { billingPermissionsFactory } from './billingPolicy';

/** What a route test's set-up gets to add its routes with. */
export interface RoutesSetUp {
  /** The backend's database (coreServices.database), migrated. */
  knex: Knex;
  tenantStore: TenantBillingStore;
  kit: RouterKit;
  /** The caller's partner scope on tenants, as router.ts builds it. */
  tenantScope: (req: express.Request) => Promise<BillingScope>;
  /** With the kit's defaults (and JSON parser), mounted after `addRoutes`. */
  router: express.Router;
}

/**
 * The `billing` plugin of a route test: `addRoutes` writes what the test
 * needs and adds the routes under test to `router`. `json: false` leaves
 * the JSON parser out.
 */
export function billingRoutesPlugin(options: {
  json?: boolean;
  addRoutes: (setUp: RoutesSetUp) => Promise<void>;
}) {
  return createBackendPlugin({
    pluginId: 'billing',
    register(env) {
      env.registerInit({
        deps: {
          database: coreServices.database,
          httpAuth: coreServices.httpAuth,
          httpRouter: coreServices.httpRouter,
          permissions: coreServices.permissions,
          permissionsRegistry: coreServices.permissionsRegistry,
        },
        async init(deps) {
          await PriceStore.create({ database: deps.database });
          const knex = await deps.database.getClient();
          const tenantStore = new TenantBillingStore(knex);
          deps.permissionsRegistry.addPermissions(billingPermissions);
          deps.permissionsRegistry.addResourceType({
            resourceRef: billingTenantResourceRef,
            rules: Object.values(billingTenantPermissionRules),
            getResources: refs =>
              Promise.all(refs.map(r => tenantStore.get(r))),
          });
          const kit = createRouterKit({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            permissionsRegistry: deps.permissionsRegistry,
          });
          const tenantScope = async (req: express.Request) => {
            const scope = await kit.partnerScope(
              req,
              billingTenantReadPermission,
              billingTenantResourceRef,
            );
            return scope.all ? undefined : scope.criteria;
          };
          const router = Router();
          router.use(kit.defaults());
          if (options.json !== false) router.use(kit.jsonParser());
          await options.addRoutes({
            knex,
            tenantStore,
            kit,
            tenantScope,
            router,
          });
          deps.httpRouter.use(router);
        },
      });
    },
  });
}

export type TestServer = Awaited<ReturnType<typeof startTestBackend>>['server'];

/**
 * A test backend with `plugin`, the billing policy (billingPolicy.ts) and
 * `knex` as the database (absent: an SQLite database of its own).
 */
export async function startBillingRoutes(
  plugin: BackendFeature,
  knex?: Knex,
): Promise<TestServer> {
  const { server } = await startTestBackend({
    features: [
      plugin,
      billingPermissionsFactory,
      mockServices.database.factory(knex ? { knex } : undefined),
    ],
  });
  return server;
}
