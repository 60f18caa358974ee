import Tooltip from '@material-ui/core/Tooltip';
import {
  BillingCondition,
  BillingConditionKind,
  Invoice,
  PayoutState,
  RepricingOutcome,
  StripeEventRecord,
  SubscriptionStatus,
} from '@internal/plugin-billing-common';
import { StatusChip, StatusTone } from '@internal/plugin-dezky-react';

const CONDITION_TONE: Record<BillingConditionKind, StatusTone> = {
  'in-sync': 'good',
  'out-of-sync': 'warning',
  'not-billed': 'neutral',
  'missing-billing-details': 'warning',
  'payment-failed': 'bad',
};

const STATUS_TONE: Record<SubscriptionStatus, StatusTone> = {
  active: 'good',
  paused: 'warning',
  canceled: 'neutral',
};

/**
 * A tenant's billing condition as a chip — in-sync green, out-of-sync and
 * missing-billing-details orange, not-billed grey, payment-failed red —
 * with the server's message (why) in its tooltip.
 */
export function ConditionChip(props: {
  condition: BillingCondition;
  'data-testid'?: string;
}) {
  const { condition } = props;
  return (
    <Tooltip title={condition.message}>
      <span
        data-testid={props['data-testid'] ?? 'condition-chip'}
        data-kind={condition.kind}
      >
        <StatusChip
          status={condition.kind}
          tone={CONDITION_TONE[condition.kind]}
        />
      </span>
    </Tooltip>
  );
}

/** A subscription's status as a chip (active green, paused orange, canceled grey); `—` while nothing is billed. */
export function SubscriptionChip(props: { status?: SubscriptionStatus }) {
  const { status } = props;
  if (!status) return <>—</>;
  return (
    <StatusChip
      status={status}
      tone={STATUS_TONE[status]}
      data-testid="subscription-status"
    />
  );
}

const INVOICE_TONE: Record<Invoice['status'], StatusTone> = {
  draft: 'neutral',
  open: 'warning',
  paid: 'good',
  uncollectible: 'bad',
  void: 'neutral',
};

/** An invoice's status as a chip: paid green, open orange, uncollectible red, draft and void grey. */
export function InvoiceStatusChip(props: { status: Invoice['status'] }) {
  return (
    <StatusChip
      status={props.status}
      tone={INVOICE_TONE[props.status]}
      data-testid="invoice-status"
    />
  );
}

const REPRICING_TONE: Record<RepricingOutcome['outcome'], StatusTone> = {
  moved: 'good',
  pending: 'warning',
  failed: 'bad',
};

/** Where moving a subscription onto a new price version stands: moved green, pending orange, failed red. */
export function RepricingChip(props: { outcome: RepricingOutcome['outcome'] }) {
  return (
    <StatusChip
      status={props.outcome}
      tone={REPRICING_TONE[props.outcome]}
      data-testid="repricing-outcome"
    />
  );
}

const EVENT_TONE: Record<StripeEventRecord['outcome'], StatusTone> = {
  applied: 'good',
  stale: 'neutral',
  ignored: 'neutral',
};

/** What billing did with a webhook event: applied green; stale and ignored grey. */
export function EventOutcomeChip(props: {
  outcome: StripeEventRecord['outcome'];
}) {
  return (
    <StatusChip
      status={props.outcome}
      tone={EVENT_TONE[props.outcome]}
      data-testid="event-outcome"
    />
  );
}

const PAYOUT_TONE: Record<PayoutState, StatusTone> = {
  open: 'neutral',
  closed: 'warning',
  paid: 'good',
};

/** A payout's state: open grey (its month runs), closed orange (to be paid), paid green. */
export function PayoutStateChip(props: { state: PayoutState }) {
  return (
    <StatusChip
      status={props.state}
      tone={PAYOUT_TONE[props.state]}
      data-testid="payout-state"
    />
  );
}
