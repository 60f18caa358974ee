import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  isPartnerEntity,
  isTenantEntity,
} from '@internal/plugin-dezky-catalog-common';
import AssessmentIcon from '@material-ui/icons/Assessment';
import LocalOfferIcon from '@material-ui/icons/LocalOffer';
import MonetizationOnIcon from '@material-ui/icons/MonetizationOn';
import { BillingClient, billingApiRef } from './api';
import { billingRouteRef, pricesRouteRef, reportsRouteRef } from './routes';

const billingApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: billingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BillingClient({ discoveryApi, fetchApi }),
    }),
});

const billingPage = PageBlueprint.make({
  params: {
    path: '/billing',
    title: 'Billing',
    icon: <MonetizationOnIcon />,
    routeRef: billingRouteRef,
    loader: () =>
      import('./components/BillingPage').then(m => <m.BillingPage />),
  },
});

const pricesPage = PageBlueprint.make({
  name: 'prices',
  params: {
    path: '/billing/prices',
    title: 'Prices',
    icon: <LocalOfferIcon />,
    routeRef: pricesRouteRef,
    loader: () => import('./components/PricesPage').then(m => <m.PricesPage />),
  },
});

const reportsPage = PageBlueprint.make({
  name: 'reports',
  params: {
    path: '/billing/reports',
    title: 'Reports',
    icon: <AssessmentIcon />,
    routeRef: reportsRouteRef,
    loader: () =>
      import('./components/reports/ReportsPage').then(m => <m.ReportsPage />),
  },
});

const entityBilling = EntityContentBlueprint.make({
  name: 'tenant',
  params: {
    path: 'billing',
    title: 'Billing',
    filter: isTenantEntity,
    loader: () =>
      import('./components/EntityBillingContent').then(m => (
        <m.EntityBillingContent />
      )),
  },
});

const entityPartnerBilling = EntityContentBlueprint.make({
  name: 'partner',
  params: {
    path: 'billing',
    title: 'Billing',
    filter: isPartnerEntity,
    loader: () =>
      import('./components/EntityPartnerBillingContent').then(m => (
        <m.EntityPartnerBillingContent />
      )),
  },
});

const entityPartnerPayouts = EntityContentBlueprint.make({
  name: 'partner-payouts',
  params: {
    path: 'payouts',
    title: 'Payouts',
    filter: isPartnerEntity,
    loader: () =>
      import('./components/payouts/EntityPartnerPayoutsContent').then(m => (
        <m.EntityPartnerPayoutsContent />
      )),
  },
});

/** Billing in the portal: the Billing, Prices and Reports pages and the tabs on Tenant and Partner pages. */
export const billingPlugin = createFrontendPlugin({
  pluginId: 'billing',
  title: 'Billing',
  icon: <MonetizationOnIcon />,
  routes: {
    billing: billingRouteRef,
    prices: pricesRouteRef,
    reports: reportsRouteRef,
  },
  extensions: [
    billingApi,
    billingPage,
    pricesPage,
    reportsPage,
    entityBilling,
    entityPartnerBilling,
    entityPartnerPayouts,
  ],
});
