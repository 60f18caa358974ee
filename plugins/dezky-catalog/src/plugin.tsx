import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  isIntegrationEntity,
  isPartnerEntity,
  isTenantEntity,
} from '@internal/plugin-dezky-catalog-common';
import BusinessIcon from '@material-ui/icons/Business';
import HomeIcon from '@material-ui/icons/Home';
import PeopleIcon from '@material-ui/icons/People';
import { homeRouteRef, partnersRouteRef, tenantsRouteRef } from './routes';

const homePage = PageBlueprint.make({
  params: {
    path: '/',
    title: 'Home',
    icon: <HomeIcon />,
    routeRef: homeRouteRef,
    loader: () => import('./components/HomePage').then(m => <m.HomePage />),
  },
});

const tenantsPage = PageBlueprint.make({
  name: 'tenants',
  params: {
    path: '/tenants',
    title: 'Tenants',
    icon: <PeopleIcon />,
    routeRef: tenantsRouteRef,
    loader: () =>
      import('./components/TenantsPage').then(m => <m.TenantsPage />),
  },
});

const partnersPage = PageBlueprint.make({
  name: 'partners',
  params: {
    path: '/partners',
    title: 'Partners',
    icon: <BusinessIcon />,
    routeRef: partnersRouteRef,
    loader: () =>
      import('./components/PartnersPage').then(m => <m.PartnersPage />),
  },
});

const card = (
  name: string,
  filter: (e: any) => boolean,
  component: keyof typeof import('./components/EntityCards'),
) =>
  EntityCardBlueprint.make({
    name,
    params: {
      type: 'content',
      filter,
      loader: () =>
        import('./components/EntityCards').then(m => {
          const Card = m[component];
          return <Card />;
        }),
    },
  });

/** The Dezky screens: home overview, tenants and partners tables, entity cards. */
export const dezkyCatalogPlugin = createFrontendPlugin({
  pluginId: 'dezky-catalog',
  title: 'Dezky',
  routes: {
    home: homeRouteRef,
    tenants: tenantsRouteRef,
    partners: partnersRouteRef,
  },
  extensions: [
    homePage,
    tenantsPage,
    partnersPage,
    card('tenant', isTenantEntity, 'TenantCard'),
    card('partner-contract', isPartnerEntity, 'PartnerContractCard'),
    card('partner-tenants', isPartnerEntity, 'PartnerTenantsCard'),
    card('partner-contact', isPartnerEntity, 'PartnerContactCard'),
    card('partner-billing', isPartnerEntity, 'PartnerBillingCard'),
    card('integration', isIntegrationEntity, 'IntegrationCard'),
  ],
});
