import { Price } from '@internal/plugin-billing-common';
import {
  LifecycleEvent,
  LifecycleEventType,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import {
  applyLifecycleEvent,
  BillingContext,
  BillingRecord,
} from './tenantBilling';

const NOW = '2026-12-07T10:00:00.000Z';
const price = (perSeatAmount: number, version = 1): Price => ({
  id: 'p-business-eur-monthly',
  plan: 'business',
  currency: 'EUR',
  cycle: 'monthly',
  perSeatAmount,
  version,
  createdAt: NOW,
  updatedAt: NOW,
});
const context = (extra: Partial<BillingContext> = {}): BillingContext => ({
  currency: 'EUR',
  missingDetails: false,
  cycle: 'monthly',
  price: price(1190),
  ...extra,
});
let n = 0;
const event = (
  type: LifecycleEventType,
  status: TenantStatus,
  extra: Partial<LifecycleEvent> = {},
): LifecycleEvent => ({
  id: `e${++n}`,
  seq: n,
  type,
  tenantRef: 'tenant:default/acme',
  partnerRef: 'partner:default/nord',
  at: NOW,
  status,
  plan: 'business',
  seats: 10,
  ...extra,
});

/** Applies events in order, each with its context. */
function run(
  steps: Array<[LifecycleEvent, BillingContext?]>,
): BillingRecord | undefined {
  let r: BillingRecord | undefined;
  for (const [e, c] of steps)
    r = applyLifecycleEvent(r, e, c ?? context(), NOW);
  return r;
}

describe('a tenant’s billing record from its lifecycle events', () => {
  it.each<
    [string, Array<[LifecycleEvent, BillingContext?]>, Partial<BillingRecord>]
  >([
    [
      'activated on a priced plan with seats: an active subscription at the current price',
      [[event('activated', 'active')]],
      {
        status: 'active',
        perSeatAmount: 1190,
        priceVersion: 1,
        mrr: 11900,
        pausedMrr: 0,
        condition: expect.objectContaining({ kind: 'in-sync' }),
      },
    ],
    [
      'suspended: paused, its MRR moves to paused MRR',
      [[event('activated', 'active')], [event('suspended', 'suspended')]],
      { status: 'paused', mrr: 0, pausedMrr: 11900 },
    ],
    [
      'terminating: still paused',
      [[event('activated', 'active')], [event('terminating', 'terminating')]],
      { status: 'paused', mrr: 0, pausedMrr: 11900 },
    ],
    [
      'resumed: active again',
      [
        [event('activated', 'active')],
        [event('suspended', 'suspended')],
        [event('resumed', 'active')],
      ],
      { status: 'active', mrr: 11900, pausedMrr: 0 },
    ],
    [
      'terminated: canceled, no MRR',
      [
        [event('activated', 'active')],
        [event('terminating', 'terminating')],
        [event('terminated', 'terminated')],
      ],
      {
        status: 'canceled',
        mrr: 0,
        pausedMrr: 0,
        condition: expect.objectContaining({ kind: 'not-billed' }),
      },
    ],
    [
      'seats changed: the quantity and MRR follow, the price stays',
      [
        [event('activated', 'active')],
        [
          event('seatsChanged', 'active', { seats: 3 }),
          context({ price: price(9999, 2) }),
        ],
      ],
      { seats: 3, perSeatAmount: 1190, priceVersion: 1, mrr: 3570 },
    ],
    [
      'plan changed: the new plan’s current price',
      [
        [event('activated', 'active')],
        [
          event('planChanged', 'active', { plan: 'enterprise' }),
          context({ price: { ...price(2290), id: 'p-ent' } }),
        ],
      ],
      { plan: 'enterprise', priceId: 'p-ent', perSeatAmount: 2290, mrr: 22900 },
    ],
    [
      'no price for the plan: not billed',
      [[event('activated', 'active'), context({ price: undefined })]],
      {
        mrr: 0,
        condition: expect.objectContaining({
          kind: 'not-billed',
          message: 'no monthly price for plan business in EUR',
        }),
      },
    ],
    [
      'no seats: not billed',
      [[event('activated', 'active', { seats: 0 })]],
      {
        mrr: 0,
        condition: expect.objectContaining({
          kind: 'not-billed',
          message: 'no seats',
        }),
      },
    ],
    [
      'seats to 0 on a live subscription: canceled',
      [
        [event('activated', 'active')],
        [event('seatsChanged', 'active', { seats: 0 })],
      ],
      { status: 'canceled', mrr: 0 },
    ],
    [
      'a direct tenant without billing details',
      [
        [
          event('activated', 'active', { partnerRef: undefined }),
          context({ missingDetails: true, currency: undefined }),
        ],
      ],
      {
        mrr: 0,
        condition: expect.objectContaining({ kind: 'missing-billing-details' }),
      },
    ],
    [
      'yearly: MRR is a twelfth, rounded half up once',
      [
        [
          event('activated', 'active', { seats: 7 }),
          context({
            cycle: 'yearly',
            price: { ...price(999), cycle: 'yearly' },
          }),
        ],
      ],
      { mrr: 583, cycle: 'yearly' },
    ],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps)).toMatchObject(expected);
  });

  it('bills nothing before activation', () => {
    const r = run([[event('seatsChanged', 'active')]]);
    expect(r).toMatchObject({
      activated: false,
      mrr: 0,
      condition: { kind: 'not-billed', message: 'not activated yet' },
    });
    expect(r?.status).toBeUndefined();
  });

  it('keeps the condition’s time while it does not change', () => {
    const first = applyLifecycleEvent(
      undefined,
      event('activated', 'active'),
      context(),
      NOW,
    );
    const later = applyLifecycleEvent(
      first,
      event('seatsChanged', 'active', { seats: 11 }),
      context(),
      '2026-12-08T00:00:00.000Z',
    );
    expect(later.condition.since).toBe(NOW);
  });
});
