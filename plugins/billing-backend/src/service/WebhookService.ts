import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { StripeEventList } from '@internal/plugin-billing-common';
import type Stripe from 'stripe';
import {
  AppliedEvent,
  StripeEventInput,
  StripeEventStore,
} from '../database/StripeEventStore';
import { Page } from './InvoiceService';
import { StripeConnection } from './stripeClient';
import { isoOf } from './stripeMirror';

/** What `POST /stripe/webhook` answers. */
export interface WebhookReceipt {
  received: true;
  /** The event id was received before: nothing changed. */
  duplicate?: true;
}

/**
 * Why a signature did not verify, in our words: the SDK's messages can
 * describe the configured secret (its length and last characters), which
 * an unauthenticated caller must not learn.
 */
function signatureProblem(sdkMessage: string): string {
  if (sdkMessage.startsWith('Timestamp outside the tolerance zone')) {
    return 'Stripe-Signature: the timestamp is outside the tolerance (300 s)';
  }
  if (sdkMessage.startsWith('No webhook payload')) {
    return 'body: empty, expected a Stripe event';
  }
  if (
    sdkMessage.startsWith('Unable to extract') ||
    sdkMessage.startsWith('No signatures found with expected scheme')
  ) {
    return 'Stripe-Signature: not a Stripe signature header (t=…,v1=…)';
  }
  return 'Stripe-Signature: does not match the body (another secret, or the body was changed)';
}

const MAX_ID = 255;
/** Audit events forwarded to the chain per call. */
const AUDIT_BATCH = 200;
/** How long after an applied event its audit event is forwarded (with the others of that moment). */
const FORWARD_DELAY_MS = 200;

/** The verified event, checked for what billing reads of every event. */
function eventInput(event: Stripe.Event): StripeEventInput {
  const e = event as unknown as Record<string, unknown>;
  const ok = (v: unknown, max: number) =>
    typeof v === 'string' &&
    v.length > 0 &&
    v.length <= max &&
    !v.includes('\u0000');
  const data = e.data as { object?: unknown } | null | undefined;
  if (
    !ok(e.id, MAX_ID) ||
    !ok(e.type, 100) ||
    typeof e.created !== 'number' ||
    !Number.isSafeInteger(e.created) ||
    typeof data?.object !== 'object' ||
    data.object === null
  ) {
    throw new InputError(
      'body: not a Stripe event (id, type, created and data.object are required)',
    );
  }
  return {
    id: e.id as string,
    type: e.type as string,
    created: e.created,
    data: { object: data.object },
  };
}

/** The audit action of an applied event. */
function actionOf(type: string): string {
  if (type.startsWith('invoice.')) {
    return `billing.invoice.${type.slice('invoice.'.length)}`;
  }
  return `billing.stripe.subscription.${type.slice(
    'customer.subscription.'.length,
  )}`;
}

function auditEvent(
  event: StripeEventInput,
  applied: AppliedEvent,
  now: string,
): AuditEventInput {
  const { tenant, invoice } = applied;
  return {
    at: now,
    actor: { type: 'service', ref: 'plugin:billing' },
    action: actionOf(event.type),
    outcome: 'success',
    resource: invoice
      ? {
          type: 'billing-invoice',
          ref: invoice.id,
          name: invoice.number ?? invoice.id,
        }
      : {
          type: 'billing-subscription',
          ref: tenant?.tenantRef ?? applied.subscriptionId ?? event.id,
          name: tenant?.tenantName ?? applied.subscriptionId ?? event.id,
        },
    ...(tenant ? { tenant: tenant.tenantRef } : {}),
    ...(tenant?.partnerRef ? { partner: tenant.partnerRef } : {}),
    source: 'billing',
    // one audit event per Stripe event, also when Stripe sends it again
    externalId: `stripe:${event.id}`,
    metadata: {
      event: { id: event.id, type: event.type, created: isoOf(event.created) },
      message: applied.message,
      ...(invoice
        ? {
            invoice: {
              id: invoice.id,
              number: invoice.number,
              status: invoice.status,
              currency: invoice.currency,
              total: invoice.total,
              amountDue: invoice.amountDue,
              amountPaid: invoice.amountPaid,
              amountRemaining: invoice.amountRemaining,
              subscriptionId: invoice.subscriptionId,
            },
          }
        : {}),
      ...(applied.subscriptionId && !invoice
        ? { subscriptionId: applied.subscriptionId }
        : {}),
      ...(applied.paymentFailed
        ? { paymentFailedCondition: applied.paymentFailed }
        : {}),
    },
  };
}

/**
 * Stripe's webhook events (docs/billing.md#webhooks-and-invoices): each is
 * verified with the endpoint secret before anything is read, then recorded
 * and applied once by its id, in one transaction with its audit event, which
 * is then forwarded to the audit chain in batches ({@link forwardAudit}).
 */
export class WebhookService {
  constructor(
    private readonly deps: {
      store: StripeEventStore;
      /** From `connectStripe(config)`: the SDK verifies the signatures. */
      stripe: Pick<StripeConnection, 'client' | 'webhookSecret'>;
      trail: AuditTrailService;
      logger?: LoggerService;
      now?: () => Date;
    },
  ) {}

  private forwarding: Promise<number> | undefined;
  private scheduled: ReturnType<typeof setTimeout> | undefined;
  private again = false;

  /**
   * Verifies, records and applies one delivery. Nothing is written unless
   * the signature verifies: 503 while Stripe or its webhook secret is not
   * configured, 400 for a missing, malformed, mismatching or expired
   * signature (or a body that is not an event). A repeat of an event id
   * answers `duplicate` and changes nothing, nor is it audited again.
   */
  async receive(
    rawBody: Buffer,
    signatureHeader: string | undefined,
  ): Promise<WebhookReceipt> {
    const { client, webhookSecret } = this.deps.stripe;
    if (!client || !webhookSecret) {
      throw new ServiceUnavailableError(
        'Stripe webhooks are not accepted: Stripe is not connected or billing.stripe.webhookSecret is not set',
      );
    }
    if (!signatureHeader) {
      throw new InputError('Stripe-Signature: the header is missing');
    }
    let verified: Stripe.Event;
    try {
      verified = client.webhooks.constructEvent(
        rawBody,
        signatureHeader,
        webhookSecret,
      );
    } catch (error) {
      const e = error as { type?: string; message?: string };
      if (e.type === 'StripeSignatureVerificationError') {
        throw new InputError(signatureProblem(e.message ?? ''));
      }
      if (error instanceof SyntaxError) {
        throw new InputError('body: not valid JSON');
      }
      throw error;
    }
    const event = eventInput(verified);
    const now = (this.deps.now?.() ?? new Date()).toISOString();
    const result = await this.deps.store.receive(event, now, applied =>
      applied.outcome === 'applied'
        ? auditEvent(event, applied, now)
        : undefined,
    );
    if (result === 'duplicate') return { received: true, duplicate: true };
    // the audit event is stored with the event: into the chain soon, in a
    // batch with whatever else arrives meanwhile (not on this answer's path)
    if (result.outcome === 'applied') this.forwardSoon();
    return { received: true };
  }

  /**
   * Forwards the stored audit events of applied events to the audit chain,
   * in batches, until none is left; resolves how many. One forward runs at
   * a time (a call during one waits for it and runs again). A failure
   * leaves the rest stored for the next forward (the scheduler runs one
   * every few seconds) and rejects.
   */
  forwardAudit(): Promise<number> {
    if (this.forwarding) {
      this.again = true;
      return this.forwarding;
    }
    const run = async () => {
      let forwarded = 0;
      do {
        this.again = false;
        for (;;) {
          const batch = await this.deps.store.unaudited(AUDIT_BATCH);
          if (batch.length === 0) break;
          // the audit chain keeps one event per externalId (stripe:<event
          // id>): a batch forwarded twice (two instances) is recorded once
          await this.deps.trail.record(batch.map(b => b.audit));
          await this.deps.store.markAudited(
            batch.map(b => b.id),
            (this.deps.now?.() ?? new Date()).toISOString(),
          );
          forwarded += batch.length;
        }
      } while (this.again);
      return forwarded;
    };
    this.forwarding = run().finally(() => {
      this.forwarding = undefined;
    });
    return this.forwarding;
  }

  /** A forward in a moment: the events arriving meanwhile go in its batch. */
  private forwardSoon() {
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.forwardAudit().catch(error =>
        this.deps.logger?.warn(
          `billing: Stripe events' audit events not forwarded yet (retried every few seconds): ${error}`,
        ),
      );
    }, FORWARD_DELAY_MS);
    // a process may stop meanwhile: what is left is forwarded by the
    // scheduled forward after its restart
    this.scheduled.unref?.();
  }

  /** The events received, newest first (operators). */
  events(query: Page & { type?: string }): Promise<StripeEventList> {
    return this.deps.store.listEvents(query);
  }
}
