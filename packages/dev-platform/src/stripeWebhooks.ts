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
 * is logged and the event stays pending; it is not retried on a schedule
 * (Stripe retries for up to 3 days): `deliver()` without ids sends every
 * pending event again.
 */
import { createHmac } from 'node:crypto';
import { Obj } from './http';

export interface StripeWebhookConfig {
  url: string;
  /** The endpoint's signing secret, `whsec_…`. */
  secret: string;
  /** Default true: each event is sent as it happens. */
  autoDeliver: boolean;
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

  constructor(
    private readonly lookup: (id: string) => Obj | undefined,
    private readonly onDelivered: (id: string) => void,
  ) {}

  configure(config: StripeWebhookConfig | undefined) {
    this.config = config ? { ...config } : undefined;
    this.pending.clear();
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
    await this.flush();
    const list = ids ?? [...this.pending];
    const results: StripeWebhookDelivery[] = [];
    for (const id of list) results.push(await this.send(id));
    return results;
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
  }

  stop() {
    this.abort.abort();
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
    this.log.push(record);
    if (record.ok && this.pending.delete(id)) this.onDelivered(id);
    return record;
  }
}
