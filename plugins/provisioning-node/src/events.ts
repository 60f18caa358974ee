import {
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { ProvisioningService } from './client';

/**
 * Hands `subscriber`'s pending lifecycle events to `handle`, oldest first,
 * acknowledging each once it is handled. A failing `handle` stops the run
 * (the event and those after it come again next time): delivery is at
 * least once and in order; `handle` ignores a repeat by `event.id`.
 * Resolves with how many events were handled.
 *
 * @public
 */
export async function deliverLifecycleEvents(options: {
  provisioning: Pick<
    ProvisioningService,
    'lifecycleEvents' | 'ackLifecycleEvents'
  >;
  subscriber: string;
  handle: (event: LifecycleEvent) => Promise<void>;
  /** Events asked per call. Default 100. */
  batchSize?: number;
}): Promise<number> {
  const { provisioning, subscriber, handle } = options;
  let handled = 0;
  for (;;) {
    const events = await provisioning.lifecycleEvents(subscriber, {
      limit: options.batchSize ?? 100,
    });
    if (events.length === 0) return handled;
    for (const event of events) {
      await handle(event);
      await provisioning.ackLifecycleEvents(subscriber, event.seq);
      handled += 1;
    }
  }
}

/**
 * Follows the tenants' lifecycle events on the scheduler (a global task:
 * one instance at a time handles a subscriber's events, in order). For a
 * backend plugin: `await followLifecycleEvents({ ...deps, subscriber:
 * 'billing', handle })`.
 *
 * @public
 */
export async function followLifecycleEvents(options: {
  provisioning: Pick<
    ProvisioningService,
    'lifecycleEvents' | 'ackLifecycleEvents'
  >;
  scheduler: SchedulerService;
  /** A stable id: the outbox keeps this subscriber's place under it. */
  subscriber: string;
  handle: (event: LifecycleEvent) => Promise<void>;
  /** Default every 5 seconds. */
  frequency?: SchedulerServiceTaskScheduleDefinition['frequency'];
}): Promise<void> {
  const { scheduler, subscriber } = options;
  await scheduler.scheduleTask({
    id: `provisioning-lifecycle-events-${subscriber}`,
    frequency: options.frequency ?? { seconds: 5 },
    timeout: { minutes: 5 },
    scope: 'global',
    // a failure is logged by the scheduler; the next run starts where it stopped
    fn: async () => {
      await deliverLifecycleEvents(options);
    },
  });
}
