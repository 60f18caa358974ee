import {
  createPermissionRule,
  PermissionResourceRef,
  PermissionRule,
} from '@backstage/plugin-permission-node';
import { z } from 'zod/v3';

/**
 * The query fragment that the partner-scoped rules translate to: "the ref in
 * `column` is one of `values`". Serialisable, so it can cross the permission
 * framework unchanged; `values` are always lowercased.
 *
 * @public
 */
export type PartnerScopeQuery = {
  column: 'partnerRef' | 'tenantRef';
  values: string[];
};

/**
 * Parameters of `IS_TENANT_OF_PARTNER` and `BELONGS_TO_PARTNER`.
 *
 * @public
 */
export type PartnerRefsParams = { partnerRefs: string[] };

/**
 * Parameters of `IS_TENANT`.
 *
 * @public
 */
export type TenantRefsParams = { tenantRefs: string[] };

/**
 * The rules returned by {@link createPartnerScopedRules}, keyed for
 * `createConditionExports({ resourceRef, rules })`.
 *
 * @public
 */
export type PartnerScopedRules<TResource, TResourceType extends string> = {
  isTenantOfPartner: PermissionRule<
    TResource,
    PartnerScopeQuery,
    TResourceType,
    PartnerRefsParams
  >;
  belongsToPartner: PermissionRule<
    TResource,
    PartnerScopeQuery,
    TResourceType,
    PartnerRefsParams
  >;
  isTenant: PermissionRule<
    TResource,
    PartnerScopeQuery,
    TResourceType,
    TenantRefsParams
  >;
};

/**
 * Normalises an entity ref for comparison and storage. Entity refs are
 * case-insensitive; the rules compare, and stores must write, this form.
 *
 * @public
 */
export function normalizeScopeRef(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}

function matchesAny(ref: string | undefined, candidates: string[]): boolean {
  // Rows read from a database carry null, not undefined, for a missing ref.
  if (typeof ref !== 'string') {
    return false;
  }
  const normalized = normalizeScopeRef(ref);
  return candidates.some(
    candidate => normalizeScopeRef(candidate) === normalized,
  );
}

function scopeQuery(
  column: PartnerScopeQuery['column'],
  refs: string[],
): PartnerScopeQuery {
  return { column, values: [...new Set(refs.map(normalizeScopeRef))] };
}

const partnerRefsSchema = z.object({
  partnerRefs: z
    .array(z.string())
    .describe('Partner entity refs, e.g. partner:default/nordlicht-it'),
});

const tenantRefsSchema = z.object({
  tenantRefs: z
    .array(z.string())
    .describe('Tenant entity refs, e.g. tenant:default/acme'),
});

/**
 * Creates the partner-scoping rules for one resource type.
 *
 * @remarks
 *
 * Each Dezky backend plugin declares its own resource ref (with
 * {@link PartnerScopeQuery} as its query type) and registers these rules for
 * it; the permission policy then answers partner staff with conditional
 * decisions built from them.
 *
 * - `IS_TENANT_OF_PARTNER`: the resource belongs to a tenant that one of the
 *   given partners resells. Use it on tenant-keyed resources, where every row
 *   has a tenant.
 * - `BELONGS_TO_PARTNER`: the resource belongs to one of the given partners,
 *   either directly (a partner-level row, no tenant) or through one of their
 *   tenants.
 * - `IS_TENANT`: the resource belongs to one of the given tenants.
 *
 * Both partner rules test the resource's partner ref. They differ in intent:
 * the policy uses the first to grant access to customers' data and the second
 * for everything a partner owns. Because the query type cannot express "has a
 * tenant", `IS_TENANT_OF_PARTNER` also matches partner-level rows (those with
 * a partner ref but no tenant ref) of a resource type that has such rows.
 *
 * Refs are compared case-insensitively. A resource without the ref in question
 * (e.g. a directly sold tenant, which has no partner) never matches, and an
 * empty list matches nothing.
 *
 * @public
 */
export function createPartnerScopedRules<
  TResource,
  TResourceType extends string,
>(options: {
  resourceRef: PermissionResourceRef<
    TResource,
    PartnerScopeQuery,
    TResourceType
  >;
  partnerRefOf: (resource: TResource) => string | undefined;
  tenantRefOf: (resource: TResource) => string | undefined;
}): PartnerScopedRules<TResource, TResourceType> {
  const { resourceRef, partnerRefOf, tenantRefOf } = options;

  const isTenantOfPartner = createPermissionRule({
    name: 'IS_TENANT_OF_PARTNER',
    description:
      'Allow resources of tenants that are resold by one of the given partners',
    resourceRef,
    paramsSchema: partnerRefsSchema,
    apply: (resource, { partnerRefs }) =>
      matchesAny(partnerRefOf(resource), partnerRefs),
    toQuery: ({ partnerRefs }) => scopeQuery('partnerRef', partnerRefs),
  });

  const belongsToPartner = createPermissionRule({
    name: 'BELONGS_TO_PARTNER',
    description:
      'Allow resources of the given partners, directly or through their tenants',
    resourceRef,
    paramsSchema: partnerRefsSchema,
    apply: (resource, { partnerRefs }) =>
      matchesAny(partnerRefOf(resource), partnerRefs),
    toQuery: ({ partnerRefs }) => scopeQuery('partnerRef', partnerRefs),
  });

  const isTenant = createPermissionRule({
    name: 'IS_TENANT',
    description: 'Allow resources of the given tenants',
    resourceRef,
    paramsSchema: tenantRefsSchema,
    apply: (resource, { tenantRefs }) =>
      matchesAny(tenantRefOf(resource), tenantRefs),
    toQuery: ({ tenantRefs }) => scopeQuery('tenantRef', tenantRefs),
  });

  return { isTenantOfPartner, belongsToPartner, isTenant };
}
