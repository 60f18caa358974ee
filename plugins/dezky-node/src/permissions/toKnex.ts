import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { normalizeScopeRef, PartnerScopeQuery } from './partnerRules';

/**
 * The names of the columns that hold the partner ref and the tenant ref, as
 * knex identifiers (may be qualified, e.g. `p.partner_ref`).
 *
 * @public
 */
export type PartnerScopeColumns = {
  partnerRef: string;
  tenantRef: string;
};

/**
 * Adds one AND-ed, parenthesised condition to `builder` that is true exactly
 * when `criteria` holds for the row.
 *
 * Every condition produced here is two-valued: a leaf is
 * `col IS NOT NULL AND col IN (...)`, which is FALSE (not NULL) for a NULL
 * column. Hence `NOT (...)` is TRUE for such a row, on every SQL engine,
 * matching what `apply()` says for a resource without that ref.
 */
function addCriteria(
  builder: Knex.QueryBuilder,
  criteria: PermissionCriteria<PartnerScopeQuery>,
  columns: PartnerScopeColumns,
): void {
  if (isAndCriteria(criteria)) {
    const children: PermissionCriteria<PartnerScopeQuery>[] = criteria.allOf;
    if (children.length === 0) {
      builder.whereRaw('1 = 1');
      return;
    }
    builder.where(group => {
      for (const child of children) {
        addCriteria(group, child, columns);
      }
    });
    return;
  }

  if (isOrCriteria(criteria)) {
    const children: PermissionCriteria<PartnerScopeQuery>[] = criteria.anyOf;
    if (children.length === 0) {
      builder.whereRaw('1 = 0');
      return;
    }
    builder.where(group => {
      for (const child of children) {
        group.orWhere(inner => addCriteria(inner, child, columns));
      }
    });
    return;
  }

  if (isNotCriteria(criteria)) {
    builder.whereNot(group => addCriteria(group, criteria.not, columns));
    return;
  }

  const column = columns[criteria.column];
  if (typeof column !== 'string') {
    throw new Error(`Unknown partner scope column '${criteria.column}'`);
  }
  if (criteria.values.length === 0) {
    builder.whereRaw('1 = 0');
    return;
  }
  const values = [...new Set(criteria.values.map(normalizeScopeRef))];
  builder.where(group => group.whereNotNull(column).whereIn(column, values));
}

/**
 * Restricts a knex query to the rows that satisfy partner-scope criteria, so
 * that filtering happens in the database.
 *
 * @remarks
 *
 * `criteria` is what a condition transformer makes of a conditional decision:
 * `createConditionTransformer(permissionsRegistry.getPermissionRuleset(ref))`
 * applied to `decision.conditions`. The whole tree (allOf, anyOf, not, nested
 * to any depth) becomes one parenthesised WHERE clause, AND-ed with whatever
 * the query already has.
 *
 * The ref columns must be stored lowercased (see {@link normalizeScopeRef}):
 * the comparison is a plain `IN` on the column so that an index on it can be
 * used. A NULL ref matches no list, so its negation matches it: `not` of
 * `IS_TENANT_OF_PARTNER` includes directly sold tenants. An empty list matches
 * no row.
 *
 * @returns the same query builder, for chaining
 * @public
 */
export function applyPartnerScope<TQueryBuilder extends Knex.QueryBuilder>(
  query: TQueryBuilder,
  criteria: PermissionCriteria<PartnerScopeQuery>,
  columns: PartnerScopeColumns,
): TQueryBuilder {
  addCriteria(query, criteria, columns);
  return query;
}
