import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { CatalogRefLookup } from './CatalogRefLookup';
import { DezkyEntitiesProcessor } from './DezkyEntitiesProcessor';

/** Validates the Dezky kinds and emits their relations. */
export const catalogModuleDezky = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'dezky',
  register(env) {
    env.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        database: coreServices.database,
      },
      async init({ processing, database }) {
        const refs = new CatalogRefLookup(await database.getClient());
        processing.addProcessor(new DezkyEntitiesProcessor(refs));
      },
    });
  },
});
