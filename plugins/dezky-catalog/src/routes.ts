import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Dezky home page. */
export const homeRouteRef = createRouteRef();
/** The tenants table (filters in the query string: partner, plan, status, q). */
export const tenantsRouteRef = createRouteRef();
/** The partners table (filters in the query string: status, q). */
export const partnersRouteRef = createRouteRef();
