/*
 * Webhook delivery of the Stripe stand-in: every event is POSTed to the one
 * configured endpoint, signed as Stripe signs (`Stripe-Signature:
 * t=<unix>,v1=<hex HMAC-SHA256 of "${t}.${rawBody}" with the endpoint
 * secret>`, stripe.md §7), one at a time, in the order the events happened.
 *
 * Tests never wait on time: `flush()` resolves once every queued delivery has
 * been answered, and `deliver(ids)` sends the given events now, in the given
 * order (duplicates and out-of-order delivery on purpose). With
 * `autoDeliver: false` nothing is sent until `deliver()` is called.
 *
 * A delivery that fails (connection error, non-2xx, 10 s without an answer)
 * is logged and the event stays pending; `deliver()` without ids sends every
 * pending event again. Stripe itself retries with exponential backoff for up
 * to 3 days. The stand-in retries only when asked to (`retryAfterMs`;
 * default none, so tests decide when anything is sent): a failure schedules
 * a retry round after
 * `retryAfterMs`, which re-sends the pending events oldest first and stops at
 * the first that fails again (the endpoint is still failing; the order is
 * kept); each consecutive failed round doubles the delay, up to
 * MAX_BACKOFF_FACTOR × retryAfterMs, and a round that empties the pending set
 * resets it. New events are still sent as they happen.
 */
import { createHmac } from 'node:crypto';
import { Obj } from './http';

export interface StripeWebhookConfig {
  url: string;
  /** The endpoint's signing secret, `whsec_…`. */
  secret: string;
  /** Default true: each event is sent as it happens. */
  autoDeliver: boolean;
  /**
   * Default none (undefined): failed deliveries wait for `deliver()`. A
   * positive number: pending events are re-sent automatically that many ms
   * after a failed delivery, in order, the delay doubling per consecutive
   * failed round up to 8× this value.
   */
  retryAfterMs?: number;
}

export interface StripeWebhookDelivery {
  event: string;
  type: string;
  /** HTTP status of the receiver's answer; 0 when there was none. */
  status: number;
  ok: boolean;
  error?: string;
  /** ISO time (wall clock) of the attempt. */
  at: string;
}

const TIMEOUT_MS = 10_000;
/** The retry delay grows to at most this multiple of `retryAfterMs`. */
export const MAX_BACKOFF_FACTOR = 8;

/** The delay before a retry round after `failedRounds` consecutive failed rounds: doubling, capped. */
export function retryDelayMs(
  retryAfterMs: number,
  failedRounds: number,
): number {
  return Math.min(
    retryAfterMs * 2 ** Math.min(failedRounds, 30),
    retryAfterMs * MAX_BACKOFF_FACTOR,
  );
}

/** The Stripe-Signature header for this raw body, signed at `timestamp` (unix seconds). */
export function stripeSignatureHeader(
  rawBody: string,
  secret: string,
  timestamp: number,
): string {
  const signature = createHmac('sha256', secret)
    .update(`${timestamp}.${rawBody}`, 'utf8')
    .digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export class StripeWebhookSender {
  private config: StripeWebhookConfig | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<string>();
  private readonly log: StripeWebhookDelivery[] = [];
  private abort = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDueAt: number | undefined;
  private stopped = false;
  /** Bumped by reset(): deliveries still in flight then are forgotten. */
  private generation = 0;
  /** Consecutive retry rounds that ended with events still pending. */
  private failedRounds = 0;
  private retrying = false;

  constructor(
    private readonly lookup: (id: string) => Obj | undefined,
    private readonly onDelivered: (id: string) => void,
  ) {}

  configure(config: StripeWebhookConfig | undefined) {
    this.config = config ? { ...config } : undefined;
    if (this.config && this.config.retryAfterMs === undefined) {
      delete this.config.retryAfterMs;
    }
    this.pending.clear();
    this.cancelRetry();
  }

  current(): StripeWebhookConfig | undefined {
    return this.config ? { ...this.config } : undefined;
  }

  /** Whether an endpoint is configured (the events' `pending_webhooks`). */
  get endpoints(): number {
    return this.config ? 1 : 0;
  }

  /** A new event: queued for delivery when an endpoint is configured. */
  enqueue(event: Obj) {
    if (!this.config) return;
    this.pending.add(event.id);
    if (this.config.autoDeliver) {
      const id = event.id as string;
      this.chain = this.chain.then(() => this.send(id));
    }
  }

  /** Resolves once every queued delivery has been answered; the delivery log. */
  async flush(): Promise<StripeWebhookDelivery[]> {
    let before: Promise<unknown>;
    do {
      before = this.chain;
      await before;
    } while (before !== this.chain);
    return this.deliveries();
  }

  /**
   * Sends these events now, in this order (each once per mention, delivered
   * before or not), after the queued ones; without ids: every pending event.
   * Throws on an unknown event id or when no endpoint is configured.
   */
  async deliver(ids?: string[]): Promise<StripeWebhookDelivery[]> {
    if (!this.config) throw new Error('no webhook endpoint is configured');
    for (const id of ids ?? []) {
      if (!this.lookup(id)) throw new Error(`no such event "${id}"`);
    }
    // on the chain: never interleaved with auto-deliveries or retry rounds
    const run = this.chain.then(async () => {
      const list = ids ?? [...this.pending];
      const results: StripeWebhookDelivery[] = [];
      for (const id of list) results.push(await this.send(id));
      return results;
    });
    this.chain = run;
    return run;
  }

  deliveries(): StripeWebhookDelivery[] {
    return this.log.map(d => ({ ...d }));
  }

  pendingEvents(): string[] {
    return [...this.pending];
  }

  reset() {
    this.abort.abort();
    this.abort = new AbortController();
    this.config = undefined;
    this.pending.clear();
    this.log.length = 0;
    this.chain = Promise.resolve();
    this.generation += 1;
    this.cancelRetry();
  }

  stop() {
    this.stopped = true;
    this.abort.abort();
    this.cancelRetry();
  }

  /** When the next automatic retry round is due (ms, wall clock); undefined: none scheduled. */
  nextRetryAt(): number | undefined {
    return this.retryDueAt;
  }

  private cancelRetry() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDueAt = undefined;
    this.failedRounds = 0;
  }

  /** After a failure: one retry round, unless one is scheduled or under way. */
  private scheduleRetry() {
    const base = this.config?.retryAfterMs;
    if (
      !base ||
      this.stopped ||
      this.retryTimer ||
      this.retrying ||
      this.pending.size === 0
    ) {
      return;
    }
    const delay = retryDelayMs(base, this.failedRounds);
    this.retryDueAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryDueAt = undefined;
      this.chain = this.chain.then(() => this.retryRound());
    }, delay);
    // a pending retry never keeps the process (or a test run) alive
    this.retryTimer.unref();
  }

  /** Re-sends the pending events oldest first, stopping at the first failure. */
  private async retryRound() {
    this.retrying = true;
    let failed = false;
    try {
      for (const id of [...this.pending]) {
        // delivered meanwhile, or the endpoint was changed
        if (!this.pending.has(id)) continue;
        const record = await this.send(id);
        if (!record.ok) {
          failed = true;
          break;
        }
      }
    } finally {
      this.retrying = false;
    }
    if (failed && this.pending.size > 0) {
      this.failedRounds += 1;
      this.scheduleRetry();
    } else {
      this.failedRounds = 0;
      // events that failed while this round ran (new ones) get their own round
      this.scheduleRetry();
    }
  }

  private async send(id: string): Promise<StripeWebhookDelivery> {
    const config = this.config;
    const event = this.lookup(id);
    const record: StripeWebhookDelivery = {
      event: id,
      type: event?.type ?? '',
      status: 0,
      ok: false,
      at: new Date().toISOString(),
    };
    if (!config || !event) {
      record.error = config ? 'no such event' : 'no endpoint configured';
      return record;
    }
    const generation = this.generation;
    // Stripe posts the event pretty-printed; the signature covers these exact bytes
    const body = JSON.stringify(event, null, 2);
    // signed with the wall clock: the receiver checks `t` against its own clock
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': stripeSignatureHeader(
            body,
            config.secret,
            timestamp,
          ),
        },
        body,
        signal: AbortSignal.any([
          this.abort.signal,
          AbortSignal.timeout(TIMEOUT_MS),
        ]),
      });
      await res.arrayBuffer().catch(() => undefined);
      record.status = res.status;
      record.ok = res.status >= 200 && res.status < 300;
      if (!record.ok) record.error = `the endpoint answered ${res.status}`;
    } catch (err) {
      record.error = String((err as Error).message ?? err);
    }
    // reset while in flight: not a delivery of the state that exists now
    if (generation !== this.generation) return record;
    this.log.push(record);
    if (record.ok && this.pending.delete(id)) this.onDelivered(id);
    if (!record.ok && this.pending.has(id)) this.scheduleRetry();
    return record;
  }
}
