import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
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
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ processing, catalog, auth }) {
        const refs = new CatalogRefLookup({ catalog, auth, maxAgeMs: 5_000 });
        processing.addProcessor(new DezkyEntitiesProcessor(refs));
      },
    });
  },
});
