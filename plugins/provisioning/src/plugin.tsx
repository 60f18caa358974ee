import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isTenantEntity } from '@internal/plugin-dezky-catalog-common';
import AccountTreeIcon from '@material-ui/icons/AccountTree';
import { ProvisioningClient, provisioningApiRef } from './api';
import { provisioningRouteRef } from './routes';

const provisioningApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: provisioningApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ProvisioningClient({ discoveryApi, fetchApi }),
    }),
});

const provisioningPage = PageBlueprint.make({
  params: {
    path: '/provisioning',
    title: 'Provisioning',
    icon: <AccountTreeIcon />,
    routeRef: provisioningRouteRef,
    loader: () =>
      import('./components/ProvisioningPage').then(m => <m.ProvisioningPage />),
  },
});

const entityProvisioning = EntityContentBlueprint.make({
  name: 'tenant',
  params: {
    path: 'provisioning',
    title: 'Provisioning',
    filter: isTenantEntity,
    loader: () =>
      import('./components/EntityProvisioningContent').then(m => (
        <m.EntityProvisioningContent />
      )),
  },
});

const entityDomains = EntityContentBlueprint.make({
  name: 'tenant-domains',
  params: {
    path: 'domains',
    title: 'Domains',
    filter: isTenantEntity,
    loader: () =>
      import('./components/EntityDomainsContent').then(m => (
        <m.EntityDomainsContent />
      )),
  },
});

const entityMembers = EntityContentBlueprint.make({
  name: 'tenant-members',
  params: {
    path: 'members',
    title: 'Members',
    filter: isTenantEntity,
    loader: () =>
      import('./components/EntityMembersContent').then(m => (
        <m.EntityMembersContent />
      )),
  },
});

/** Tenant provisioning in the portal: the Provisioning page and the Provisioning, Domains and Members tabs on Tenant pages. */
export const provisioningPlugin = createFrontendPlugin({
  pluginId: 'provisioning',
  title: 'Provisioning',
  icon: <AccountTreeIcon />,
  routes: { provisioning: provisioningRouteRef },
  extensions: [
    provisioningApi,
    provisioningPage,
    entityProvisioning,
    entityDomains,
    entityMembers,
  ],
});
