import {
  billingPayoutManagePermission,
  billingPriceManagePermission,
  billingPriceReadPermission,
  billingTenantReadPermission,
} from '@internal/plugin-billing-common';
import {
  provisioningTenantDomainsManagePermission,
  provisioningTenantMembersManagePermission,
  provisioningTenantMembersReadPermission,
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
  provisioningTenantSuspendPermission,
  provisioningTenantTerminatePermission,
} from '@internal/plugin-provisioning-common';
import {
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
  auditEventReadPermission,
} from '@internal/plugin-audit-common';
import { portalOperatePermission } from '@internal/plugin-dezky-catalog-common';
import { DezkyAccess } from '@internal/plugin-dezky-node';
import {
  flagEvaluatePermission,
  flagManagePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import { decide } from './decide';

const operator: DezkyAccess = {
  role: 'operator',
  userRef: 'user:default/anna',
  groupRefs: ['group:default/dezky-platform-admins'],
  partnerRefs: [],
  staffGroupRefs: [],
};
const staff: DezkyAccess = {
  role: 'partner-staff',
  userRef: 'user:default/jana',
  groupRefs: ['group:default/partner-nord'],
  partnerRefs: ['partner:default/nord'],
  staffGroupRefs: ['group:default/partner-nord'],
};
const outsider: DezkyAccess = {
  role: 'user',
  userRef: 'user:default/olaf',
  groupRefs: [],
  partnerRefs: [],
  staffGroupRefs: [],
};
const service: DezkyAccess = {
  role: 'service',
  groupRefs: [],
  partnerRefs: [],
  staffGroupRefs: [],
};

const unknown = createPermission({
  name: 'billing.invoice.void',
  attributes: { action: 'update' },
});
const mutations = [
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
];

describe('decide', () => {
  it.each([operator, service])('allows everything to $role', access => {
    for (const p of [
      catalogEntityReadPermission,
      ...mutations,
      unknown,
      flagReadPermission,
      flagManagePermission,
      flagEvaluatePermission,
    ]) {
      expect(decide(p, access)).toEqual({ result: AuthorizeResult.ALLOW });
    }
  });

  it.each([staff, outsider])(
    'denies catalog mutations and unknown permissions to $role',
    access => {
      for (const p of [...mutations, unknown]) {
        expect(decide(p, access)).toEqual({ result: AuthorizeResult.DENY });
      }
    },
  );

  it('lets partner staff read their partner, its tenants, their group and its users, integrations and themselves', () => {
    const decision = decide(catalogEntityReadPermission, staff);
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        anyOf: [
          entity('user', 'jana'),
          rule('IS_TENANT_OF_PARTNER', {
            partnerRefs: ['partner:default/nord'],
          }),
          entity('partner', 'nord'),
          entity('group', 'partner-nord'),
          rule('IS_MEMBER_OF_GROUP', {
            groupRefs: ['group:default/partner-nord'],
          }),
          rule('IS_ENTITY_KIND', { kinds: ['Integration'] }),
        ],
      },
    });
  });

  it('lets partner staff read the audit events of their partners only, as a condition for SQL', () => {
    expect(decide(auditEventReadPermission, staff)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'audit',
      resourceType: 'audit-event',
      conditions: {
        rule: 'BELONGS_TO_PARTNER',
        resourceType: 'audit-event',
        params: { partnerRefs: ['partner:default/nord'] },
      },
    });
  });

  it.each([staff, outsider])(
    'keeps the audit chain (verify, checkpoints) for operators: denied to $role',
    access => {
      for (const p of [
        auditChainVerifyPermission,
        auditCheckpointCreatePermission,
      ]) {
        expect(decide(p, access)).toEqual({ result: AuthorizeResult.DENY });
      }
    },
  );

  it('gives other users no audit events at all', () => {
    expect(decide(auditEventReadPermission, outsider)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('lets partner staff read the flags but never change them', () => {
    expect(decide(flagReadPermission, staff)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(decide(flagManagePermission, staff)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it("lets partner staff see the flags' effect on their partners' tenants only, as a condition", () => {
    expect(decide(flagEvaluatePermission, staff)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'flags',
      resourceType: 'flags-tenant',
      conditions: {
        rule: 'IS_TENANT_OF_PARTNER',
        resourceType: 'flags-tenant',
        params: { partnerRefs: ['partner:default/nord'] },
      },
    });
  });

  it('lets partner staff terminate tenants only where the configuration allows it, and then their own', () => {
    const partnerScoped = {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'provisioning',
      resourceType: 'provisioning-tenant',
      conditions: {
        rule: 'IS_TENANT_OF_PARTNER',
        resourceType: 'provisioning-tenant',
        params: { partnerRefs: ['partner:default/nord'] },
      },
    };
    const terminate = provisioningTenantTerminatePermission;
    expect(decide(terminate, staff)).toEqual({ result: AuthorizeResult.DENY });
    expect(decide(terminate, staff, { partnersMayTerminate: false })).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(decide(terminate, staff, { partnersMayTerminate: true })).toEqual(
      partnerScoped,
    );
    expect(decide(terminate, outsider, { partnersMayTerminate: true })).toEqual(
      { result: AuthorizeResult.DENY },
    );
    expect(decide(terminate, operator)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it("lets partner staff read, reconcile, suspend and resume their partners' tenants, manage their domains' DNS checks and their members only, as a condition; others nothing", () => {
    for (const permission of [
      provisioningTenantReadPermission,
      provisioningTenantReconcilePermission,
      provisioningTenantSuspendPermission,
      provisioningTenantDomainsManagePermission,
      provisioningTenantMembersReadPermission,
      provisioningTenantMembersManagePermission,
    ]) {
      expect(decide(permission, staff)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'provisioning',
        resourceType: 'provisioning-tenant',
        conditions: {
          rule: 'IS_TENANT_OF_PARTNER',
          resourceType: 'provisioning-tenant',
          params: { partnerRefs: ['partner:default/nord'] },
        },
      });
      expect(decide(permission, outsider)).toEqual({
        result: AuthorizeResult.DENY,
      });
      expect(decide(permission, operator)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('lets partner staff read the price catalog, never edit it; other users neither', () => {
    expect(decide(billingPriceReadPermission, staff)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(decide(billingPriceManagePermission, staff)).toEqual({
      result: AuthorizeResult.DENY,
    });
    for (const p of [
      billingPriceReadPermission,
      billingPriceManagePermission,
    ]) {
      expect(decide(p, outsider)).toEqual({ result: AuthorizeResult.DENY });
      expect(decide(p, operator)).toEqual({ result: AuthorizeResult.ALLOW });
    }
  });

  it('lets only operators (and services) manage payouts and MRR snapshots: partner staff are denied by default', () => {
    for (const access of [operator, service]) {
      expect(decide(billingPayoutManagePermission, access)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    for (const access of [staff, outsider]) {
      expect(decide(billingPayoutManagePermission, access)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it("lets partner staff read their partners' tenants' billing only, as a condition pushed into SQL", () => {
    expect(decide(billingTenantReadPermission, staff)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'billing',
      resourceType: 'billing-tenant',
      conditions: {
        rule: 'IS_TENANT_OF_PARTNER',
        resourceType: 'billing-tenant',
        params: { partnerRefs: ['partner:default/nord'] },
      },
    });
    expect(decide(billingTenantReadPermission, outsider)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(decide(billingTenantReadPermission, operator)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('lets only operators (and services) run the portal as operators', () => {
    for (const access of [operator, service]) {
      expect(decide(portalOperatePermission, access)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    for (const access of [staff, outsider]) {
      expect(decide(portalOperatePermission, access)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('gives other users no flags at all', () => {
    for (const p of [
      flagReadPermission,
      flagManagePermission,
      flagEvaluatePermission,
    ]) {
      expect(decide(p, outsider)).toEqual({ result: AuthorizeResult.DENY });
    }
  });

  it('lets any other signed-in user read only their own user entity', () => {
    expect(decide(catalogEntityReadPermission, outsider)).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: { anyOf: [entity('user', 'olaf')] },
    });
  });
});

function rule(name: string, params: object) {
  return { rule: name, resourceType: 'catalog-entity', params };
}
function entity(kind: string, name: string) {
  return {
    allOf: [
      rule('IS_ENTITY_KIND', { kinds: [kind] }),
      rule('HAS_METADATA', { key: 'namespace', value: 'default' }),
      rule('HAS_METADATA', { key: 'name', value: name }),
    ],
  };
}
