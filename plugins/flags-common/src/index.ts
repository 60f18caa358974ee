/**
 * Feature flags: the model and the permissions, shared by the backend, the
 * frontend and other plugins. The evaluation rules are in
 * `plugin-flags-node` (docs/flags.md).
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
