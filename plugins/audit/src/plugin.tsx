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
import HistoryIcon from '@material-ui/icons/History';
import { AuditClient, auditApiRef } from './api';
import { auditRouteRef } from './routes';

const auditApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: auditApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new AuditClient({ discoveryApi, fetchApi }),
    }),
});

const auditPage = PageBlueprint.make({
  params: {
    path: '/audit',
    title: 'Audit',
    icon: <HistoryIcon />,
    routeRef: auditRouteRef,
    loader: () => import('./components/AuditPage').then(m => <m.AuditPage />),
  },
});

const entityAudit = (field: 'tenant' | 'partner') =>
  EntityContentBlueprint.make({
    name: field,
    params: {
      path: 'audit',
      title: 'Audit',
      filter: field === 'tenant' ? isTenantEntity : isPartnerEntity,
      loader: () =>
        import('./components/EntityAuditContent').then(m => (
          <m.EntityAuditContent field={field} />
        )),
    },
  });

/** The audit trail in the portal: the Audit page and the entity Audit tabs. */
export const auditPlugin = createFrontendPlugin({
  pluginId: 'audit',
  title: 'Audit',
  icon: <HistoryIcon />,
  routes: { audit: auditRouteRef },
  extensions: [
    auditApi,
    auditPage,
    entityAudit('tenant'),
    entityAudit('partner'),
  ],
});
