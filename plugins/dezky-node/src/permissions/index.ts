/**
 * Partner scoping for Dezky resources: the permission rules a plugin registers
 * for its resource type, and the translation of the conditions built from them
 * into a knex WHERE clause. Each export is documented where it is declared.
 */

export {
  createPartnerScopedRules,
  normalizeScopeRef,
  type PartnerRefsParams,
  type PartnerScopedRules,
  type PartnerScopeQuery,
  type TenantRefsParams,
} from './partnerRules';
export { applyPartnerScope, type PartnerScopeColumns } from './toKnex';
