/*
 * The production checks of the sign-in module (assertProductionConfig in
 * `plugin-auth-backend-module-dezky`, docs/operations.md#production),
 * run once more as the first of the backend's own root services: a refused
 * configuration then stops the start before the start-up lock is taken and
 * before any database is created or migrated, within a few seconds. The
 * module runs the same check when the auth plugin starts, for any backend
 * that installs it without this.
 */
import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { assertProductionConfig } from '@internal/plugin-auth-backend-module-dezky';

const productionChecksServiceRef = createServiceRef<void>({
  id: 'dezky.backend.productionChecks',
  scope: 'root',
});

/** Add to the backend first; see the file's comment. */
export const productionChecksServiceFactory = createServiceFactory({
  service: productionChecksServiceRef,
  deps: { config: coreServices.rootConfig },
  factory({ config }) {
    assertProductionConfig(config);
  },
});
