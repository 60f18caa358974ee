import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  DefaultDezkyAccessService,
  DezkyAccessService,
} from './DezkyAccessService';

/**
 * Who is asking, for any Dezky plugin: `deps: { access: dezkyAccessServiceRef }`.
 * @public
 */
export const dezkyAccessServiceRef = createServiceRef<DezkyAccessService>({
  id: 'dezky.access',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        userInfo: coreServices.userInfo,
      },
      factory: deps => new DefaultDezkyAccessService(deps),
    }),
});
