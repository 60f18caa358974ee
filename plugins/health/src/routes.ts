import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Infrastructure page. */
export const infrastructureRouteRef = createRouteRef();
