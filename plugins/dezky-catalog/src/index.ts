/**
 * The Dezky screens of the portal.
 *
 * @packageDocumentation
 */
export { dezkyCatalogPlugin as default } from './plugin';
export { tenantsRouteRef, partnersRouteRef, homeRouteRef } from './routes';
export { useIsOperator } from './role';
