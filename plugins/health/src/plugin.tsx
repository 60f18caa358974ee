import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isIntegrationEntity } from '@internal/plugin-dezky-catalog-common';
import StorageIcon from '@material-ui/icons/Storage';
import { HealthClient, healthApiRef } from './api';
import { infrastructureRouteRef } from './routes';

const healthApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: healthApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new HealthClient({ discoveryApi, fetchApi }),
    }),
});

const infrastructurePage = PageBlueprint.make({
  params: {
    path: '/infrastructure',
    title: 'Infrastructure',
    icon: <StorageIcon />,
    routeRef: infrastructureRouteRef,
    loader: () =>
      import('./components/InfrastructurePage').then(m => (
        <m.InfrastructurePage />
      )),
  },
});

const entityHealth = EntityContentBlueprint.make({
  name: 'integration',
  params: {
    path: 'health',
    title: 'Health',
    filter: isIntegrationEntity,
    loader: () =>
      import('./components/EntityHealthContent').then(m => (
        <m.EntityHealthContent />
      )),
  },
});

/** Integration health in the portal: the Infrastructure page and the Health tab. */
export const healthPlugin = createFrontendPlugin({
  pluginId: 'health',
  title: 'Infrastructure',
  icon: <StorageIcon />,
  routes: { infrastructure: infrastructureRouteRef },
  extensions: [healthApi, infrastructurePage, entityHealth],
});
