/**
 * Catalog module for the Dezky kinds: validation against their JSON schemas,
 * reference checks and relations.
 *
 * @packageDocumentation
 */
export { catalogModuleDezky as default } from './module';
export { DezkyEntitiesProcessor } from './DezkyEntitiesProcessor';
export type { EntityRefLookup } from './DezkyEntitiesProcessor';
