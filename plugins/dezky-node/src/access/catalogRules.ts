import { RELATION_MEMBER_OF } from '@backstage/catalog-model';
import { catalogEntityPermissionResourceRef } from '@backstage/plugin-catalog-node/alpha';
import { createPermissionRule } from '@backstage/plugin-permission-node';
import { RELATION_RESOLD_BY } from '@internal/plugin-dezky-catalog-common';
import { z } from 'zod/v3';

const lower = (ref: string) => ref.toLocaleLowerCase('en-US');

function hasRelation(
  entity: { relations?: Array<{ type: string; targetRef: string }> },
  type: string,
  targets: string[],
): boolean {
  const wanted = new Set(targets.map(lower));
  return (entity.relations ?? []).some(
    r => r.type === type && wanted.has(lower(r.targetRef)),
  );
}

/**
 * Catalog rule: the entity is a tenant resold by one of these partners
 * (it has a `resoldBy` relation to one of them). Pushed into the catalog's
 * query as `relations.resoldBy IN (...)`.
 * @public
 */
export const isTenantOfPartnerCatalogRule = createPermissionRule({
  name: 'IS_TENANT_OF_PARTNER',
  description: 'Allow tenants resold by one of the given partners',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({
    partnerRefs: z
      .array(z.string())
      .describe('Full refs of the partners, e.g. partner:default/nordlicht-it'),
  }),
  apply: (entity, { partnerRefs }) =>
    hasRelation(entity, RELATION_RESOLD_BY, partnerRefs),
  toQuery: ({ partnerRefs }) => ({
    key: `relations.${RELATION_RESOLD_BY}`,
    values: partnerRefs.map(lower),
  }),
});

/**
 * Catalog rule: the entity is a user who is a member of one of these groups
 * (it has a `memberOf` relation to one of them).
 * @public
 */
export const isMemberOfGroupCatalogRule = createPermissionRule({
  name: 'IS_MEMBER_OF_GROUP',
  description: 'Allow users who are members of one of the given groups',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({
    groupRefs: z
      .array(z.string())
      .describe(
        'Full refs of the groups, e.g. group:default/partner-nordlicht-it',
      ),
  }),
  apply: (entity, { groupRefs }) =>
    hasRelation(entity, RELATION_MEMBER_OF, groupRefs),
  toQuery: ({ groupRefs }) => ({
    key: `relations.${RELATION_MEMBER_OF}`,
    values: groupRefs.map(lower),
  }),
});

/** The Dezky catalog rules, for the catalog module to register. @public */
export const dezkyCatalogPermissionRules = [
  isTenantOfPartnerCatalogRule,
  isMemberOfGroupCatalogRule,
];
