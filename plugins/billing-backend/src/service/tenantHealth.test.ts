import {
  BILLING_CONDITION_KINDS,
  BillingConditionKind,
} from '@internal/plugin-billing-common';
import { TenantPhase } from '@internal/plugin-provisioning-common';
import { IntegrationHealth, tenantHealth } from './tenantHealth';

type H = 'ok' | 'warn' | 'bad';
const RANK: Record<H, number> = { ok: 0, warn: 1, bad: 2 };

/** Each part on its own, as docs/reports.md states it. */
const PHASES: Array<[TenantPhase | undefined, H, string | undefined]> = [
  ['active', 'ok', undefined],
  ['pending', 'warn', 'provisioning: pending'],
  ['degraded', 'bad', 'provisioning: degraded'],
  [undefined, 'warn', 'provisioning: not provisioned'],
];
const CONDITIONS: Array<[BillingConditionKind, H]> = [
  ['in-sync', 'ok'],
  ['not-billed', 'ok'],
  ['out-of-sync', 'warn'],
  ['missing-billing-details', 'warn'],
  ['payment-failed', 'bad'],
];
/** An integration's status (undefined: the health plugin does not know it). */
const STATUSES: Array<[IntegrationHealth | undefined, H]> = [
  ['ok', 'ok'],
  ['planned', 'ok'],
  ['warn', 'warn'],
  ['bad', 'bad'],
  [undefined, 'warn'],
];
/** No integration, one of each status, and every pair of two. */
const INTEGRATION_SETS: Array<Array<[IntegrationHealth | undefined, H]>> = [
  [],
  ...STATUSES.map(s => [s]),
  ...STATUSES.flatMap(a => STATUSES.map(b => [a, b])),
];

const worst = (hs: H[]) =>
  hs.reduce<H>((w, h) => (RANK[h] > RANK[w] ? h : w), 'ok');

describe('tenantHealth', () => {
  it('covers every billing condition kind', () => {
    expect(CONDITIONS.map(([c]) => c).sort()).toEqual(
      [...BILLING_CONDITION_KINDS].sort(),
    );
  });

  const cases = PHASES.flatMap(phase =>
    CONDITIONS.flatMap(condition =>
      INTEGRATION_SETS.map(set => ({ phase, condition, set })),
    ),
  );

  it(`is the worst of phase, condition and integrations in all ${cases.length} combinations, with a reason per part that is not ok`, () => {
    for (const { phase, condition, set } of cases) {
      const integrations = set.map(([status], i) => ({
        ref: `integration:default/i${i}`,
        ...(status ? { status } : {}),
      }));
      const expected = {
        health: worst([phase[1], condition[1], ...set.map(([, h]) => h)]),
        reasons: [
          ...(phase[2] ? [phase[2]] : []),
          ...(condition[1] === 'ok' ? [] : [`billing: ${condition[0]}`]),
          ...set.flatMap(([status, h], i) =>
            h === 'ok' ? [] : [`integration i${i}: ${status ?? 'unknown'}`],
          ),
        ],
      };
      expect({
        phase: phase[0],
        condition: condition[0],
        set,
        ...tenantHealth({
          phase: phase[0],
          condition: condition[0],
          integrations,
        }),
      }).toEqual({
        phase: phase[0],
        condition: condition[0],
        set,
        ...expected,
      });
    }
  });

  it.each([
    [
      'all well',
      { phase: 'active', condition: 'in-sync', integrations: [] },
      { health: 'ok', reasons: [] },
    ],
    [
      'a planned integration and a free plan',
      {
        phase: 'active',
        condition: 'not-billed',
        integrations: [{ ref: 'integration:default/ocis', status: 'planned' }],
      },
      { health: 'ok', reasons: [] },
    ],
    [
      'degraded, out of sync, one integration bad and one unknown',
      {
        phase: 'degraded',
        condition: 'out-of-sync',
        integrations: [
          { ref: 'integration:default/stalwart', status: 'bad' },
          { ref: 'integration:default/authentik' },
        ],
      },
      {
        health: 'bad',
        reasons: [
          'provisioning: degraded',
          'billing: out-of-sync',
          'integration authentik: unknown',
          'integration stalwart: bad',
        ],
      },
    ],
    [
      'not provisioned, integration in another namespace warn',
      {
        condition: 'in-sync',
        integrations: [{ ref: 'integration:ops/mail', status: 'warn' }],
      },
      {
        health: 'warn',
        reasons: [
          'provisioning: not provisioned',
          'integration ops/mail: warn',
        ],
      },
    ],
    [
      'payment failed alone',
      {
        phase: 'active',
        condition: 'payment-failed',
        integrations: [{ ref: 'integration:default/stalwart', status: 'ok' }],
      },
      { health: 'bad', reasons: ['billing: payment-failed'] },
    ],
  ] as const)('%s', (_name, inputs, expected) => {
    expect(
      tenantHealth({ ...inputs, integrations: [...inputs.integrations] }),
    ).toEqual(expected);
  });

  it('takes an unknown phase, condition or status (a newer API) as warn', () => {
    expect(
      tenantHealth({
        phase: 'paused' as TenantPhase,
        condition: 'on-hold' as BillingConditionKind,
        integrations: [
          { ref: 'integration:default/x', status: 'odd' as IntegrationHealth },
        ],
      }),
    ).toEqual({
      health: 'warn',
      reasons: [
        'provisioning: paused',
        'billing: on-hold',
        'integration x: odd',
      ],
    });
  });
});
