/**
 * The billing backend (docs/billing.md).
 *
 * @packageDocumentation
 */
export { billingPlugin as default } from './plugin';
