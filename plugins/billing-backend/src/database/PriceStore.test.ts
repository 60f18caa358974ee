import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { PriceStore } from './PriceStore';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const at = (s: number) =>
  new Date(Date.UTC(2026, 11, 7, 10, 0, s)).toISOString();

describe.each(databases.eachSupportedId())('PriceStore on %p', id => {
  let store: PriceStore;

  beforeEach(async () => {
    store = await PriceStore.create({
      database: mockServices.database({ knex: await databases.init(id) }),
    });
  });

  it('keeps one row per plan, currency and cycle, listed in that order', async () => {
    const a = await store.create(
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1190,
      },
      'user:default/anna',
      at(0),
    );
    expect(a).toMatchObject({ version: 1, perSeatAmount: 1190 });
    await store.create(
      {
        plan: 'business',
        currency: 'CHF',
        cycle: 'yearly',
        perSeatAmount: 12900,
      },
      undefined,
      at(1),
    );
    await store.create(
      { plan: 'basic', currency: 'EUR', cycle: 'monthly', perSeatAmount: 490 },
      undefined,
      at(2),
    );
    expect(
      await store.create(
        {
          plan: 'business',
          currency: 'EUR',
          cycle: 'monthly',
          perSeatAmount: 1,
        },
        undefined,
        at(3),
      ),
    ).toBeUndefined();
    expect(
      (await store.list()).map(p => [
        p.plan,
        p.currency,
        p.cycle,
        p.perSeatAmount,
      ]),
    ).toEqual([
      ['basic', 'EUR', 'monthly', 490],
      ['business', 'CHF', 'yearly', 12900],
      ['business', 'EUR', 'monthly', 1190],
    ]);
    expect(
      (await store.list({ currency: 'EUR', cycle: 'monthly' })).length,
    ).toBe(2);
    expect((await store.list({ plan: 'business' })).length).toBe(2);
  });

  it('makes a new version on an edit, keeps the old one, and refuses an edit of a version that moved on', async () => {
    const p = (await store.create(
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1190,
      },
      'user:default/anna',
      at(0),
    ))!;
    const first = await store.updateAmount(
      p.id,
      1290,
      1,
      'user:default/ben',
      at(5),
    );
    expect(first).toMatchObject({
      previous: { version: 1, perSeatAmount: 1190 },
      updated: {
        version: 2,
        perSeatAmount: 1290,
        updatedBy: 'user:default/ben',
      },
    });
    expect(await store.updateAmount(p.id, 1390, 1, undefined, at(6))).toBe(
      'conflict',
    );
    expect(
      await store.updateAmount('nope', 1, 1, undefined, at(6)),
    ).toBeUndefined();
    const detail = await store.get(p.id);
    expect(detail).toMatchObject({ version: 2, perSeatAmount: 1290 });
    expect(detail!.history).toEqual([
      {
        version: 1,
        perSeatAmount: 1190,
        replacedAt: at(5),
        replacedBy: 'user:default/ben',
      },
    ]);
  });

  it('lets exactly one of two concurrent edits of the same version through', async () => {
    const p = (await store.create(
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1190,
      },
      undefined,
      at(0),
    ))!;
    const outcomes = await Promise.all([
      store.updateAmount(p.id, 1200, 1, undefined, at(1)),
      store.updateAmount(p.id, 1300, 1, undefined, at(1)),
    ]);
    expect(outcomes.filter(o => o === 'conflict')).toHaveLength(1);
    const detail = await store.get(p.id);
    expect(detail!.version).toBe(2);
    expect(detail!.history).toHaveLength(1);
  });
});
