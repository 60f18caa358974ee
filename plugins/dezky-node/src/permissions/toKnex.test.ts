import {
  PermissionCondition,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import {
  createConditionExports,
  createConditionTransformer,
  createPermissionResourceRef,
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
  PermissionRule,
} from '@backstage/plugin-permission-node';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { createPartnerScopedRules, PartnerScopeQuery } from './partnerRules';
import { applyPartnerScope } from './toKnex';

jest.setTimeout(60_000);

type Row = {
  id: number;
  tenant_ref: string | null;
  partner_ref: string | null;
};

const NORDLICHT = 'partner:default/nordlicht-it';
const SUEDWIND = 'partner:default/suedwind';

// As a store writes them: lowercased. Ids 5, 6 and 8 are sold directly (no
// partner); id 9 is a partner-level row (no tenant).
const rows: Row[] = [
  { id: 1, tenant_ref: 'tenant:default/acme', partner_ref: NORDLICHT },
  { id: 2, tenant_ref: 'tenant:default/bravo', partner_ref: NORDLICHT },
  { id: 3, tenant_ref: 'tenant:default/charlie', partner_ref: SUEDWIND },
  { id: 4, tenant_ref: 'tenant:default/delta', partner_ref: SUEDWIND },
  { id: 5, tenant_ref: 'tenant:default/echo', partner_ref: null },
  { id: 6, tenant_ref: 'tenant:default/foxtrot', partner_ref: null },
  { id: 7, tenant_ref: 'tenant:default/acme', partner_ref: NORDLICHT },
  { id: 8, tenant_ref: 'tenant:default/golf', partner_ref: null },
  { id: 9, tenant_ref: null, partner_ref: SUEDWIND },
];
const allIds = rows.map(r => r.id);

const resourceRef = createPermissionResourceRef<Row, PartnerScopeQuery>().with({
  pluginId: 'test',
  resourceType: 'test-row',
});

const rules = createPartnerScopedRules({
  resourceRef,
  partnerRefOf: row => row.partner_ref ?? undefined,
  tenantRefOf: row => row.tenant_ref ?? undefined,
});
const ruleList: PermissionRule<Row, PartnerScopeQuery, 'test-row'>[] =
  Object.values(rules);
const getRule = (name: string) => {
  const rule = ruleList.find(r => r.name === name);
  if (!rule) {
    throw new Error(`no rule ${name}`);
  }
  return rule;
};

const { conditions } = createConditionExports({ resourceRef, rules });
const toQuery = createConditionTransformer<PartnerScopeQuery>({
  getRuleByName: getRule,
});

type Criteria = PermissionCriteria<PermissionCondition>;

/** The in-memory reference: the criteria evaluated with the rules' apply(). */
function evaluate(criteria: Criteria, row: Row): boolean {
  if (isAndCriteria(criteria)) {
    return criteria.allOf.every(c => evaluate(c, row));
  }
  if (isOrCriteria(criteria)) {
    return criteria.anyOf.some(c => evaluate(c, row));
  }
  if (isNotCriteria(criteria)) {
    return !evaluate(criteria.not, row);
  }
  return getRule(criteria.rule).apply(row, criteria.params as any);
}

const ofPartners = (...partnerRefs: string[]) =>
  conditions.isTenantOfPartner({ partnerRefs });
const ownedBy = (...partnerRefs: string[]) =>
  conditions.belongsToPartner({ partnerRefs });
const tenants = (...tenantRefs: string[]) =>
  conditions.isTenant({ tenantRefs });

// [description, criteria, ids expected, worked out by hand]
const cases: Array<[string, Criteria, number[]]> = [
  ['one partner', ofPartners(NORDLICHT), [1, 2, 7]],
  ['two partners', ofPartners(NORDLICHT, SUEDWIND), [1, 2, 3, 4, 7, 9]],
  ['belongs to partner', ownedBy(SUEDWIND), [3, 4, 9]],
  ['unknown partner', ofPartners('partner:default/nobody'), []],
  ['one tenant', tenants('tenant:default/acme'), [1, 7]],
  [
    'direct tenants',
    tenants('tenant:default/echo', 'tenant:default/golf'),
    [5, 8],
  ],
  ['mixed-case partner', ofPartners('Partner:Default/Nordlicht-IT'), [1, 2, 7]],
  [
    'mixed-case tenant',
    tenants('TENANT:DEFAULT/ACME', 'Tenant:default/Echo'),
    [1, 5, 7],
  ],
  ['empty partner list', ofPartners(), []],
  ['empty tenant list', tenants(), []],
  ['not empty partner list', { not: ofPartners() }, allIds],
  ['not empty tenant list', { not: tenants() }, allIds],
  [
    'not partner (NULL partner included)',
    { not: ofPartners(NORDLICHT) },
    [3, 4, 5, 6, 8, 9],
  ],
  [
    'not tenant (NULL tenant included)',
    { not: tenants('tenant:default/acme') },
    [2, 3, 4, 5, 6, 8, 9],
  ],
  [
    'not both partners: the direct tenants',
    { not: ownedBy(NORDLICHT, SUEDWIND) },
    [5, 6, 8],
  ],
  ['not not', { not: { not: ofPartners(NORDLICHT) } }, [1, 2, 7]],
  [
    'partner or own tenant',
    { anyOf: [ofPartners(NORDLICHT), tenants('tenant:default/echo')] },
    [1, 2, 5, 7],
  ],
  [
    'partner and tenant',
    { allOf: [ofPartners(NORDLICHT), tenants('tenant:default/acme')] },
    [1, 7],
  ],
  [
    'partner and foreign tenant',
    { allOf: [ofPartners(SUEDWIND), tenants('tenant:default/acme')] },
    [],
  ],
  [
    'partner but not a tenant',
    { allOf: [ofPartners(NORDLICHT), { not: tenants('tenant:default/acme') }] },
    [2],
  ],
  [
    'not anyOf',
    { not: { anyOf: [ofPartners(NORDLICHT), tenants('tenant:default/echo')] } },
    [3, 4, 6, 8, 9],
  ],
  [
    'not allOf',
    {
      not: { allOf: [ofPartners(SUEDWIND), tenants('tenant:default/charlie')] },
    },
    [1, 2, 4, 5, 6, 7, 8, 9],
  ],
  [
    'anyOf with an empty list',
    { anyOf: [ofPartners(), tenants('tenant:default/golf')] },
    [8],
  ],
  [
    'allOf with an empty list',
    { allOf: [ofPartners(NORDLICHT), tenants()] },
    [],
  ],
  [
    'allOf with a negated empty list',
    { allOf: [ofPartners(NORDLICHT), { not: tenants() }] },
    [1, 2, 7],
  ],
  [
    'deep nesting',
    {
      anyOf: [
        {
          allOf: [
            ownedBy(SUEDWIND),
            { not: { anyOf: [tenants('tenant:default/charlie'), tenants()] } },
          ],
        },
        {
          not: {
            anyOf: [
              ofPartners(NORDLICHT, SUEDWIND),
              tenants('tenant:default/echo'),
            ],
          },
        },
      ],
    },
    [4, 6, 8, 9],
  ],
  [
    'deeper nesting',
    {
      not: {
        allOf: [
          { not: ofPartners('partner:default/NORDLICHT-it') },
          {
            anyOf: [
              { not: { not: tenants('tenant:default/foxtrot') } },
              {
                allOf: [
                  ownedBy(SUEDWIND),
                  { not: tenants('tenant:default/delta') },
                ],
              },
            ],
          },
        ],
      },
    },
    [1, 2, 4, 5, 7, 8],
  ],
];

describe('applyPartnerScope', () => {
  it.each(cases)(
    'reference evaluation agrees with hand-checked ids: %s',
    (_d, criteria, expected) => {
      const ids = rows.filter(row => evaluate(criteria, row)).map(r => r.id);
      expect(ids).toEqual(expected);
    },
  );

  const databases = dezkyTestDatabases();

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await knex.schema.createTable('t', table => {
        table.integer('id').primary();
        table.string('tenant_ref').nullable().index();
        table.string('partner_ref').nullable().index();
      });
      await knex('t').insert(rows);
    });

    const select = async (
      criteria: Criteria,
      base?: (q: Knex.QueryBuilder) => void,
    ) => {
      const query = knex('t').select('id');
      base?.(query);
      applyPartnerScope(query, toQuery(criteria), {
        partnerRef: 'partner_ref',
        tenantRef: 'tenant_ref',
      });
      const result: Array<{ id: number | string }> = await query;
      return result.map(r => Number(r.id)).sort((a, b) => a - b);
    };

    it.each(cases)('%s', async (_d, criteria, expected) => {
      const inMemory = rows
        .filter(row => evaluate(criteria, row))
        .map(r => r.id);
      const ids = await select(criteria);
      expect(ids).toEqual(inMemory);
      expect(ids).toEqual(expected);
    });

    it('stays inside its parentheses when the query has other conditions', async () => {
      const criteria: Criteria = {
        anyOf: [ofPartners(NORDLICHT), { not: ofPartners(SUEDWIND) }],
      };
      // Without grouping, "id > 4 AND a OR b" would let ids 1, 2 through.
      await expect(
        select(criteria, q => q.where('id', '>', 4)),
      ).resolves.toEqual([5, 6, 7, 8]);
      await expect(
        select({ not: tenants() }, q => q.where('id', '<', 3).orWhere('id', 9)),
      ).resolves.toEqual([1, 2, 9]);
    });

    it('works on a qualified column of a joined query', async () => {
      const query = knex('t as a')
        .join('t as b', 'a.id', 'b.id')
        .select('a.id');
      applyPartnerScope(query, toQuery({ not: ownedBy(NORDLICHT) }), {
        partnerRef: 'a.partner_ref',
        tenantRef: 'a.tenant_ref',
      });
      const result: Array<{ id: number | string }> = await query;
      expect(result.map(r => Number(r.id)).sort((x, y) => x - y)).toEqual([
        3, 4, 5, 6, 8, 9,
      ]);
    });

    it('lowercases values of hand-built queries too', async () => {
      const query = knex('t').select('id');
      applyPartnerScope(
        query,
        { column: 'partnerRef', values: ['PARTNER:DEFAULT/SUEDWIND'] },
        { partnerRef: 'partner_ref', tenantRef: 'tenant_ref' },
      );
      const result: Array<{ id: number | string }> = await query;
      expect(result.map(r => Number(r.id)).sort((x, y) => x - y)).toEqual([
        3, 4, 9,
      ]);
    });
  });
});
