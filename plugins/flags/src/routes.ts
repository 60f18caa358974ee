import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Flags page; `?flag=<key>` opens that flag's panel. */
export const flagsRouteRef = createRouteRef();
