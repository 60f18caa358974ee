import {
  createConditionExports,
  createConditionTransformer,
  createPermissionResourceRef,
} from '@backstage/plugin-permission-node';
import {
  createPartnerScopedRules,
  normalizeScopeRef,
  PartnerScopeQuery,
} from './partnerRules';

type Row = { partnerRef?: string; tenantRef?: string };

const resourceRef = createPermissionResourceRef<Row, PartnerScopeQuery>().with({
  pluginId: 'test',
  resourceType: 'test-row',
});

const rules = createPartnerScopedRules({
  resourceRef,
  partnerRefOf: row => row.partnerRef,
  tenantRefOf: row => row.tenantRef,
});

const resold: Row = {
  partnerRef: 'partner:default/nordlicht-it',
  tenantRef: 'tenant:default/acme',
};
const direct: Row = { tenantRef: 'tenant:default/echo' };
const partnerLevel: Row = { partnerRef: 'partner:default/nordlicht-it' };
const mixedCaseStored: Row = {
  partnerRef: 'Partner:Default/Nordlicht-IT',
  tenantRef: 'Tenant:Default/ACME',
};

describe('createPartnerScopedRules', () => {
  it('names the rules and binds them to the resource type', () => {
    expect(Object.values(rules).map(r => [r.name, r.resourceType])).toEqual([
      ['IS_TENANT_OF_PARTNER', 'test-row'],
      ['BELONGS_TO_PARTNER', 'test-row'],
      ['IS_TENANT', 'test-row'],
    ]);
  });

  describe.each([
    ['isTenantOfPartner', rules.isTenantOfPartner],
    ['belongsToPartner', rules.belongsToPartner],
  ] as const)('%s.apply', (_name, rule) => {
    it.each<[string, Row, string[], boolean]>([
      ['matching partner', resold, ['partner:default/nordlicht-it'], true],
      [
        'one of several partners',
        resold,
        ['partner:default/suedwind', 'partner:default/nordlicht-it'],
        true,
      ],
      ['other partner', resold, ['partner:default/suedwind'], false],
      ['upper-case param', resold, ['PARTNER:DEFAULT/NORDLICHT-IT'], true],
      [
        'mixed-case resource',
        mixedCaseStored,
        ['partner:default/nordlicht-it'],
        true,
      ],
      ['empty list', resold, [], false],
      [
        'direct tenant (no partner)',
        direct,
        ['partner:default/nordlicht-it'],
        false,
      ],
      ['direct tenant, empty list', direct, [], false],
      [
        'partner-level row',
        partnerLevel,
        ['partner:default/nordlicht-it'],
        true,
      ],
      [
        'tenant ref given as partner ref',
        resold,
        ['tenant:default/acme'],
        false,
      ],
      ['prefix is not a match', resold, ['partner:default/nordlicht'], false],
    ])('%s', (_case, row, partnerRefs, expected) => {
      expect(rule.apply(row, { partnerRefs })).toBe(expected);
    });

    it('treats a null partner ref (as read from a database) as absent', () => {
      const row = { partnerRef: null, tenantRef: 'tenant:default/echo' };
      expect(rule.apply(row as unknown as Row, { partnerRefs: ['null'] })).toBe(
        false,
      );
    });

    it('translates to a lowercased, deduplicated partnerRef query', () => {
      expect(
        rule.toQuery({
          partnerRefs: [
            'Partner:Default/Nordlicht-IT',
            'partner:default/nordlicht-it',
            'partner:default/suedwind',
          ],
        }),
      ).toEqual({
        column: 'partnerRef',
        values: ['partner:default/nordlicht-it', 'partner:default/suedwind'],
      });
      expect(rule.toQuery({ partnerRefs: [] })).toEqual({
        column: 'partnerRef',
        values: [],
      });
    });
  });

  describe('isTenant.apply', () => {
    it.each<[string, Row, string[], boolean]>([
      ['matching tenant', resold, ['tenant:default/acme'], true],
      ['direct tenant', direct, ['tenant:default/echo'], true],
      [
        'one of several',
        direct,
        ['tenant:default/acme', 'tenant:default/echo'],
        true,
      ],
      ['other tenant', resold, ['tenant:default/echo'], false],
      ['upper-case param', resold, ['TENANT:DEFAULT/ACME'], true],
      ['mixed-case resource', mixedCaseStored, ['tenant:default/acme'], true],
      ['empty list', resold, [], false],
      [
        'no tenant (partner-level row)',
        partnerLevel,
        ['tenant:default/acme'],
        false,
      ],
      [
        'partner ref given as tenant ref',
        resold,
        ['partner:default/nordlicht-it'],
        false,
      ],
    ])('%s', (_case, row, tenantRefs, expected) => {
      expect(rules.isTenant.apply(row, { tenantRefs })).toBe(expected);
    });

    it('translates to a lowercased tenantRef query', () => {
      expect(
        rules.isTenant.toQuery({ tenantRefs: ['Tenant:Default/ACME'] }),
      ).toEqual({ column: 'tenantRef', values: ['tenant:default/acme'] });
      expect(rules.isTenant.toQuery({ tenantRefs: [] })).toEqual({
        column: 'tenantRef',
        values: [],
      });
    });
  });

  it('normalizes refs the way the rules compare them', () => {
    expect(normalizeScopeRef('Partner:Default/Nordlicht-IT')).toBe(
      'partner:default/nordlicht-it',
    );
    // en-US, not the process locale: no Turkish dotless i.
    expect(normalizeScopeRef('TENANT:DEFAULT/IZMIR')).toBe(
      'tenant:default/izmir',
    );
  });

  describe('with the permission framework', () => {
    const { conditions, createConditionalDecision } = createConditionExports({
      resourceRef,
      rules,
    });
    const transform = createConditionTransformer<PartnerScopeQuery>({
      getRuleByName: name => {
        const rule = Object.values(rules).find(r => r.name === name);
        if (!rule) {
          throw new Error(`no rule ${name}`);
        }
        return rule as any;
      },
    });

    it('builds conditions for the resource type', () => {
      expect(
        conditions.isTenantOfPartner({ partnerRefs: ['partner:default/a'] }),
      ).toEqual({
        resourceType: 'test-row',
        rule: 'IS_TENANT_OF_PARTNER',
        params: { partnerRefs: ['partner:default/a'] },
      });
      expect(
        createConditionalDecision(
          {
            type: 'resource',
            name: 'test.row.read',
            attributes: { action: 'read' },
            resourceType: 'test-row',
          },
          conditions.isTenant({ tenantRefs: ['tenant:default/acme'] }),
        ),
      ).toMatchObject({ result: 'CONDITIONAL', pluginId: 'test' });
    });

    it('transforms a criteria tree into partner-scope queries', () => {
      expect(
        transform({
          anyOf: [
            conditions.belongsToPartner({ partnerRefs: ['Partner:Default/A'] }),
            {
              not: conditions.isTenant({ tenantRefs: ['TENANT:default/x'] }),
            },
          ],
        }),
      ).toEqual({
        anyOf: [
          { column: 'partnerRef', values: ['partner:default/a'] },
          { not: { column: 'tenantRef', values: ['tenant:default/x'] } },
        ],
      });
    });

    it('rejects invalid params', () => {
      expect(() =>
        transform({
          resourceType: 'test-row',
          rule: 'IS_TENANT',
          params: { tenantRefs: 'tenant:default/acme' },
        }),
      ).toThrow(/invalid/i);
    });
  });
});
