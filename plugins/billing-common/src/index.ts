/**
 * Billing: the money rules (whole minor units, sums per currency, MRR),
 * the price catalog's shapes and the permissions — shared by the billing
 * backend and the frontend (docs/billing.md).
 *
 * @packageDocumentation
 */
export * from './money';
export * from './types';
export * from './permissions';
export * from './reports';
