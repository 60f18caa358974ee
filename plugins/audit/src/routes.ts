import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Audit page (filters in the query string: q, action, outcome, source, range, since, until, tenant, partner, actor, tier). */
export const auditRouteRef = createRouteRef();
