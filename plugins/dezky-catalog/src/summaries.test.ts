import {
  TenantEntityV1alpha1,
  PartnerEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import {
  DIRECT,
  filterPartners,
  integrationsByLifecycle,
  partnersByStatus,
  seatsTotal,
  tenantsByPartner,
  tenantsByPlan,
} from './summaries';

const tenant = (
  name: string,
  spec: Partial<TenantEntityV1alpha1['spec']>,
): TenantEntityV1alpha1 => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, title: `${name.toUpperCase()} GmbH` },
  spec: {
    owner: 'group:default/x',
    plan: 'business',
    seats: 1,
    domains: [`${name}.example`],
    ...spec,
  },
});

const partner = (
  name: string,
  status: PartnerEntityV1alpha1['spec']['status'],
): PartnerEntityV1alpha1 => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name },
  spec: {
    owner: `group:default/partner-${name}`,
    domain: `${name}.example`,
    status,
    marginPct: 10,
    contact: { name: 'Jo Contact', email: `jo@${name}.example` },
    billing: {
      company: name,
      country: 'DE',
      email: `b@${name}.example`,
      currency: 'EUR',
    },
  },
});

const tenants = [
  tenant('acme', {
    partner: 'nord',
    plan: 'business',
    seats: 25,
    domains: ['acme.example', 'acme-mail.example'],
  }),
  tenant('hafen', { partner: 'nord', plan: 'starter', seats: 8 }),
  tenant('kiel', { plan: 'enterprise', seats: 250 }),
  tenant('riga', {
    partner: 'baltic',
    plan: 'business',
    seats: 12,
    status: 'cancelled',
  }),
];

describe('overview counts', () => {
  it('counts tenants per partner, direct ones under DIRECT, largest first then by name', () => {
    expect(tenantsByPartner(tenants)).toEqual([
      { key: 'nord', count: 2 },
      { key: DIRECT, count: 1 },
      { key: 'baltic', count: 1 },
    ]);
  });

  it('counts tenants per plan and sums seats', () => {
    expect(tenantsByPlan(tenants)).toEqual([
      { key: 'business', count: 2 },
      { key: 'enterprise', count: 1 },
      { key: 'starter', count: 1 },
    ]);
    expect(seatsTotal(tenants)).toBe(295);
    expect(seatsTotal([])).toBe(0);
  });

  it('counts partners per status and integrations per lifecycle', () => {
    expect(
      partnersByStatus([
        partner('a', 'active'),
        partner('b', 'terminated'),
        partner('c', 'active'),
      ]),
    ).toEqual([
      { key: 'active', count: 2 },
      { key: 'terminated', count: 1 },
    ]);
    const integration = (
      name: string,
      lifecycle: 'production' | 'planned',
    ) => ({
      apiVersion: 'dezky.io/v1alpha1' as const,
      kind: 'Integration' as const,
      metadata: { name },
      spec: { owner: 'group:default/x', type: 'mail', lifecycle },
    });
    expect(
      integrationsByLifecycle([
        integration('a', 'planned'),
        integration('b', 'production'),
        integration('c', 'planned'),
      ]),
    ).toEqual([
      { key: 'planned', count: 2 },
      { key: 'production', count: 1 },
    ]);
  });
});

describe('partners table filters', () => {
  const names = (list: { metadata: { name: string } }[]) =>
    list.map(t => t.metadata.name);

  it('filters partners by status and by text over name, domain and contact', () => {
    const partners = [
      partner('nord', 'active'),
      partner('baltic', 'terminated'),
    ];
    expect(names(filterPartners(partners, { status: 'terminated' }))).toEqual([
      'baltic',
    ]);
    expect(names(filterPartners(partners, { text: 'nord.example' }))).toEqual([
      'nord',
    ]);
    expect(names(filterPartners(partners, { text: 'jo contact' }))).toEqual([
      'nord',
      'baltic',
    ]);
    expect(names(filterPartners(partners, { text: 'nobody' }))).toEqual([]);
  });
});
