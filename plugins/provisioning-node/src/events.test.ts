import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { deliverLifecycleEvents } from './events';

/** An outbox in memory, as the provisioning backend keeps one: a cursor per subscriber. */
function outbox(count: number) {
  const events: LifecycleEvent[] = Array.from({ length: count }, (_, i) => ({
    id: `id-${i + 1}`,
    seq: (i + 1) * 10,
    type: 'suspended',
    tenantRef: `tenant:default/t${i % 3}`,
    at: '2026-12-07T10:00:00.000Z',
    status: 'suspended',
    plan: 'business',
    seats: 1,
  }));
  const cursors = new Map<string, number>();
  return {
    async lifecycleEvents(subscriber: string, options?: { limit?: number }) {
      const after = cursors.get(subscriber) ?? 0;
      return events.filter(e => e.seq > after).slice(0, options?.limit ?? 100);
    },
    async ackLifecycleEvents(subscriber: string, seq: number) {
      cursors.set(subscriber, Math.max(cursors.get(subscriber) ?? 0, seq));
    },
  };
}

describe('deliverLifecycleEvents', () => {
  it('hands every event over once, in order, in batches, acknowledging each', async () => {
    const box = outbox(7);
    const seen: string[] = [];
    const n = await deliverLifecycleEvents({
      provisioning: box,
      subscriber: 'billing',
      batchSize: 3,
      handle: async e => {
        seen.push(e.id);
      },
    });
    expect(n).toBe(7);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7].map(i => `id-${i}`));
    expect(
      await deliverLifecycleEvents({
        provisioning: box,
        subscriber: 'billing',
        handle: async e => {
          seen.push(e.id);
        },
      }),
    ).toBe(0);
    // another subscriber has its own place
    const other: string[] = [];
    await deliverLifecycleEvents({
      provisioning: box,
      subscriber: 'reports',
      handle: async e => {
        other.push(e.id);
      },
    });
    expect(other).toHaveLength(7);
  });

  it('stops at a failing event and starts from it next time: at least once, never skipped', async () => {
    const box = outbox(5);
    const seen: string[] = [];
    let failOnce = true;
    const handle = async (e: LifecycleEvent) => {
      seen.push(e.id);
      if (e.id === 'id-3' && failOnce) {
        failOnce = false;
        throw new Error('billing down');
      }
    };
    await expect(
      deliverLifecycleEvents({ provisioning: box, subscriber: 's', handle }),
    ).rejects.toThrow('billing down');
    expect(seen).toEqual(['id-1', 'id-2', 'id-3']);
    await deliverLifecycleEvents({
      provisioning: box,
      subscriber: 's',
      handle,
    });
    expect(seen).toEqual(['id-1', 'id-2', 'id-3', 'id-3', 'id-4', 'id-5']);
    expect([...new Set(seen)]).toEqual([1, 2, 3, 4, 5].map(i => `id-${i}`));
  });
});
