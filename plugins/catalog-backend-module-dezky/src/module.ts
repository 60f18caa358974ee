import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { portalOperatePermission } from '@internal/plugin-dezky-catalog-common';
import { dezkyCatalogPermissionRules } from '@internal/plugin-dezky-node';
import { CatalogRefLookup } from './CatalogRefLookup';
import { DezkyEntitiesProcessor } from './DezkyEntitiesProcessor';

/**
 * Validates the Dezky kinds, emits their relations, and registers the
 * catalog permission rules that scope partner staff to their own partner.
 */
export const catalogModuleDezky = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'dezky',
  register(env) {
    env.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        database: coreServices.database,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({ processing, database, permissionsRegistry }) {
        const refs = new CatalogRefLookup(await database.getClient());
        processing.addProcessor(new DezkyEntitiesProcessor(refs));
        // the rules the Dezky permission policy uses to scope catalog reads
        permissionsRegistry.addPermissionRules(dezkyCatalogPermissionRules);
        // what the portal shows operators only (docs/security.md)
        permissionsRegistry.addPermissions([portalOperatePermission]);
      },
    });
  },
});
