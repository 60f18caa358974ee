import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Provisioning page (filters in the query string: phase, step, status, page, pageSize). */
export const provisioningRouteRef = createRouteRef();
