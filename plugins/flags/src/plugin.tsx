import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isTenantEntity } from '@internal/plugin-dezky-catalog-common';
import FlagIcon from '@material-ui/icons/Flag';
import { FlagsClient, flagsApiRef } from './api';
import { flagsRouteRef } from './routes';

const flagsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: flagsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new FlagsClient({ discoveryApi, fetchApi }),
    }),
});

const flagsPage = PageBlueprint.make({
  params: {
    path: '/flags',
    title: 'Flags',
    icon: <FlagIcon />,
    routeRef: flagsRouteRef,
    loader: () => import('./components/FlagsPage').then(m => <m.FlagsPage />),
  },
});

const entityFlags = EntityContentBlueprint.make({
  name: 'tenant',
  params: {
    path: 'flags',
    title: 'Flags',
    filter: isTenantEntity,
    loader: () =>
      import('./components/EntityFlagsContent').then(m => (
        <m.EntityFlagsContent />
      )),
  },
});

/** Feature flags in the portal: the Flags page and the Flags tab on tenants. */
export const flagsPlugin = createFrontendPlugin({
  pluginId: 'flags',
  title: 'Flags',
  icon: <FlagIcon />,
  routes: { flags: flagsRouteRef },
  extensions: [flagsApi, flagsPage, entityFlags],
});
