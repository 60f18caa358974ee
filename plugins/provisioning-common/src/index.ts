/**
 * Provisioning: what the reconcile engine keeps per tenant and step (the
 * conditions), a tenant's phase, the shapes of the provisioning API, and
 * the permissions — shared by the backend, the node library and the
 * frontend (docs/provisioning.md).
 *
 * @packageDocumentation
 */
export * from './types';
export * from './phase';
export * from './permissions';
export * from './lifecycle';
export * from './domains';
export * from './members';
