import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { CatalogTenantDirectory } from '@internal/plugin-dezky-node';
import { FlagsClient, FlagsService } from './FlagsClient';

/** The environment when config `flags.environment` is not set. */
export const DEFAULT_FLAGS_ENVIRONMENT = 'development';

/**
 * Feature flags for any backend plugin:
 * `deps: { flags: flagsServiceRef }`, then
 * `await flags.isEnabled('new_billing_engine', 'tenant:default/acme')`.
 *
 * @public
 */
export const flagsServiceRef = createServiceRef<FlagsService>({
  id: 'dezky.flags',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      factory({ discovery, auth, logger, config, lifecycle, catalog }) {
        const client = new FlagsClient({
          discovery,
          auth,
          logger,
          tenants: new CatalogTenantDirectory({ catalog, auth }),
          environment:
            config.getOptionalString('flags.environment') ??
            DEFAULT_FLAGS_ENVIRONMENT,
        });
        lifecycle.addShutdownHook(() => client.stop());
        return client;
      },
    }),
});
