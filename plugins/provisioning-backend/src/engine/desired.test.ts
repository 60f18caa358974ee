import { Entity } from '@backstage/catalog-model';
import { desiredHash, desiredTenants, stepNeed } from './desired';

const tenant = (name: string, spec: Record<string, unknown>): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default', title: `${name} GmbH` },
  spec: { owner: 'group:default/x', plan: 'business', seats: 5, ...spec },
});
const integration = (name: string, lifecycle: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Integration',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'group:default/x', type: 't', lifecycle },
});

describe('desired state', () => {
  const integrations = [
    integration('authentik', 'production'),
    integration('stalwart', 'production'),
    integration('ocis', 'planned'),
  ];

  it('reads a tenant: refs lower case, domains lower case and sorted, only the provisioned integrations', () => {
    const [t] = desiredTenants(
      [
        tenant('Acme', {
          partner: 'Nordlicht-IT',
          domains: ['b.example', 'A.example', 'a.example'],
          integrations: [
            'authentik',
            'integration:default/stalwart',
            'ocis',
            'collabora',
          ],
        }),
      ],
      integrations,
    );
    expect(t).toEqual({
      tenantRef: 'tenant:default/acme',
      name: 'Acme',
      title: 'Acme GmbH',
      partnerRef: 'partner:default/nordlicht-it',
      status: 'active',
      plan: 'business',
      seats: 5,
      domains: ['a.example', 'b.example'],
      integrations: ['authentik', 'stalwart', 'ocis'],
      planned: ['ocis'],
    });
  });

  it.each([
    // step, spec, expected
    [
      'authentik',
      { integrations: ['authentik'] },
      {
        needed: true,
        desired: {
          group: 'acme',
          attributes: { dezkyTenant: 'tenant:default/acme' },
        },
      },
    ],
    [
      'stalwart',
      { integrations: ['authentik'] },
      {
        needed: false,
        reason: 'NotInIntegrations',
        message: 'not in spec.integrations',
      },
    ],
    [
      'ocis',
      { integrations: ['ocis'] },
      { needed: false, reason: 'Planned', message: 'planned' },
    ],
    [
      'stalwart',
      { integrations: ['stalwart'], domains: ['acme.example'] },
      { needed: true, desired: { domains: ['acme.example'] } },
    ],
    [
      'stalwart',
      { integrations: ['stalwart'], domains: [] },
      { needed: false, reason: 'NoDomains' },
    ],
    [
      // the lifecycle, not the YAML alone, decides what a cancelled tenant needs
      'authentik',
      { integrations: ['authentik'], status: 'cancelled' },
      { needed: true },
    ],
  ])('%s for %j', (step, spec, expected) => {
    const [t] = desiredTenants(
      [tenant('acme', { domains: ['acme.example'], ...spec })],
      integrations,
    );
    expect(stepNeed(t, step as 'authentik')).toMatchObject(expected);
  });

  it('holds the same objects while suspended (a new generation), and needs nothing once terminated', () => {
    const [t] = desiredTenants(
      [
        tenant('acme', {
          domains: ['acme.example'],
          integrations: ['authentik', 'stalwart', 'ocis'],
        }),
      ],
      [],
    );
    for (const step of ['authentik', 'stalwart', 'ocis'] as const) {
      const active = stepNeed(t, step, 'active');
      const suspended = stepNeed(t, step, 'suspended');
      expect(active.needed && suspended.needed).toBe(true);
      if (!active.needed || !suspended.needed) continue;
      expect(suspended.desired).toEqual({ ...active.desired, suspended: true });
      expect(suspended.generation).not.toBe(active.generation);
      expect(stepNeed(t, step, 'terminated')).toMatchObject({
        needed: false,
        reason: 'Terminated',
      });
    }
  });

  it('changes the hash when anything a step reads changes, and only then', () => {
    const base = {
      domains: ['acme.example'],
      integrations: ['authentik', 'stalwart'],
    };
    const hash = (spec: Record<string, unknown>, lifecycle = 'production') =>
      desiredHash(
        desiredTenants(
          [tenant('acme', { ...base, ...spec })],
          [integration('stalwart', lifecycle)],
        )[0],
      );
    const h = hash({});
    expect(hash({ domains: ['ACME.example'] })).toBe(h);
    // the lifecycle events announce plan and seats changes
    expect(hash({ seats: 99 })).not.toBe(h);
    expect(hash({ plan: 'enterprise' })).not.toBe(h);
    expect(hash({ domains: ['acme.example', 'new.example'] })).not.toBe(h);
    expect(hash({ integrations: ['authentik', 'stalwart', 'ocis'] })).not.toBe(
      h,
    );
    expect(hash({ status: 'suspended' })).not.toBe(h);
    expect(hash({ partner: 'alpenwerk' })).not.toBe(h);
    expect(hash({}, 'planned')).not.toBe(h);
  });
});
