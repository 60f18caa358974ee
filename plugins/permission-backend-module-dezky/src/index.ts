/**
 * The Dezky permission policy.
 *
 * @packageDocumentation
 */
export { permissionModuleDezkyPolicy as default } from './module';
export { DezkyPermissionPolicy } from './DezkyPermissionPolicy';
export { decide, catalogReadConditions } from './decide';
