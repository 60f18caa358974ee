/*
 * Billing benchmark ([5/7]), the production classes of the billing backend
 * driven directly, on PostgreSQL (and SQLite for the reads):
 *
 * 1. Seeds N tenants' billing records (default 10,000: 100 partners, EUR and
 *    CHF, and 10 % direct tenants) — each record computed by
 *    applyLifecycleEvent and stored through TenantBillingStore.save,
 *    updateStripe and setCondition, as the billing backend does.
 * 2. Times TenantBillingStore.mrr (operator and one partner's scope) and
 *    TenantBillingStore.list, the Billing page's query (first page of 50 by
 *    name and the count; with a condition filter; scoped). Target: MRR
 *    ≤ 500 ms.
 * 3. Feeds M signed Stripe webhook events (default 5,000: invoice
 *    created → finalized → (payment_failed →) paid, subscription updates,
 *    ~5 % replays) through WebhookService.receive, C at a time, with the
 *    audit chain (AuditService) as the trail. Target: ≥ 500 events/s. Checks
 *    afterwards that what was stored is what was sent.
 *
 * Run through scripts/bench/billing (see scripts/bench/README.md).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AuditService,
  AuditStore,
  verifyChain,
} from '@internal/plugin-audit-backend';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  applyLifecycleEvent,
  BillingRecord,
  connectStripe,
  STRIPE_API_VERSION,
  StripeEventStore,
  TenantBillingStore,
  WebhookService,
} from '@internal/plugin-billing-backend';
import { MrrReport, MrrTotal, Price } from '@internal/plugin-billing-common';
import { billingTenantPermissionRules } from '@internal/plugin-billing-node';
import {
  LifecycleEvent,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import knexFactory, { Knex } from 'knex';
import path from 'path';
import { performance } from 'perf_hooks';
import type Stripe from 'stripe';
import {
  count,
  PgServer,
  postgresArgs,
  PostgresOptions,
  requirePostgres,
} from './postgres';
import {
  CheckFailed,
  fmtInt,
  gitCommit,
  log,
  machineLine,
  ms,
  onInterrupt,
  parseArgs,
  runMain,
  table,
  timing,
  Timing,
  UsageError,
} from './report';

const repoRoot = path.resolve(__dirname, '../..');
const BILLING_MIGRATIONS = path.join(
  repoRoot,
  'plugins/billing-backend/migrations',
);
const AUDIT_MIGRATIONS = path.join(
  repoRoot,
  'plugins/audit-backend/migrations',
);

/** The issue's targets. */
const EVENTS_TARGET = 500;
const MRR_TARGET_MS = 500;

const WEBHOOK_SECRET = 'whsec_bench';
const NOW = new Date().toISOString();
/** Unix seconds the generated Stripe objects and events start from. */
const T0 = Math.floor(Date.now() / 1000) - 30 * 86400;
const WARMUP_RUNS = 3;

interface Options extends PostgresOptions {
  tenants: number;
  events: number;
  concurrency: number;
  runs: number;
  sqlite: boolean;
  audit: boolean;
}

const USAGE = `usage: scripts/bench/billing [options]
  --tenants N       tenants' billing records seeded (default 10000; at least 20):
                    100 partners (fewer below 10,000 tenants), 10 % direct
  --events N        webhook events sent, replays included (default 5000)
  --concurrency N   webhook deliveries in flight at once (default 8)
  --runs N          timed runs per MRR / page query, after ${WARMUP_RUNS} warm-up runs
                    (default 20)
  --pg URL          a PostgreSQL server to use (a superuser connection: the
                    bench creates and drops its own two databases); without
                    it the wrapper starts a throwaway one
  --fsync on|off    the throwaway PostgreSQL's fsync (default on, as in
                    production); ignored with --pg
  --no-sqlite       skip the SQLite column of the MRR / page queries
  --no-audit        the webhooks' audit trail keeps its events in an array
                    instead of the audit chain (to see the chain's share)
`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    tenants: 10_000,
    events: 5_000,
    concurrency: 8,
    runs: 20,
    ownPostgres: false,
    sqlite: true,
    audit: true,
  };
  const pg = postgresArgs(o);
  parseArgs(argv, o, {
    usage: USAGE,
    ints: ['tenants', 'events', 'concurrency', 'runs'],
    flags: {
      '--no-sqlite': () => {
        o.sqlite = false;
      },
      '--no-audit': () => {
        o.audit = false;
      },
      ...pg.flags,
    },
    values: pg.values,
  });
  if (o.tenants < 20) throw new UsageError('--tenants: at least 20');
  requirePostgres(o, 'billing');
  return o;
}

// --- databases ------------------------------------------------------------------

async function createSqlite(): Promise<Knex> {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await knex.migrate.latest({ directory: BILLING_MIGRATIONS });
  return knex;
}

// --- the tenants ----------------------------------------------------------------

/** A deterministic hash of `i` (the tenants' mix of plans, statuses, seats). */
function mix(i: number, salt: number): number {
  let h = Math.imul(i ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const PLANS = ['starter', 'business', 'enterprise'];
const MONTHLY_PER_SEAT: Record<string, number> = {
  starter: 400,
  business: 800,
  enterprise: 1500,
};

type StripePatch = Parameters<TenantBillingStore['updateStripe']>[1];

interface SeedTenant {
  record: BillingRecord;
  stripe?: StripePatch;
  /** Set out of sync afterwards (setCondition), as the engine does on a failure. */
  outOfSync: boolean;
}

interface Seed {
  tenants: SeedTenant[];
  partners: number;
  /** The partner the scoped rows measure. */
  scopePartner: string;
  /** Billed, active, with a subscription: what the webhooks are about. */
  active: SeedTenant[];
}

function priceOf(plan: string, currency: string, cycle: Price['cycle']): Price {
  const monthly = MONTHLY_PER_SEAT[plan] * (currency === 'CHF' ? 1.1 : 1);
  return {
    id: `${plan}-${currency.toLowerCase()}-${cycle}`,
    plan,
    currency,
    cycle,
    perSeatAmount: Math.round(cycle === 'yearly' ? monthly * 10 : monthly),
    version: 1,
    stripeProductId: `prod_bench_${plan}`,
    stripePriceId: `price_bench_${plan}_${currency.toLowerCase()}_${cycle}`,
    createdAt: NOW,
    updatedAt: NOW,
  };
}

/**
 * The tenants: partner i % 10 != 0 (round robin over the partners, whose
 * currency is CHF for every third partner, else EUR), direct otherwise
 * (a third CHF; 5 % without billing details). 5 % never activated, 10 %
 * suspended (paused), 5 % terminated (canceled), the rest active; plans,
 * seats 0–500 and the cycle (a quarter yearly) hashed from the number.
 * Each record is what applyLifecycleEvent makes of its events.
 */
function planTenants(n: number): Seed {
  const partners = Math.max(1, Math.min(100, Math.floor(n / 100)));
  const partnerRef = (k: number) => `partner:default/p${pad(k, 3)}`;
  const tenants: SeedTenant[] = [];
  let partnerTenants = 0;
  for (let i = 1; i <= n; i++) {
    const name = `t${pad(i, 5)}`;
    const tenantRef = `tenant:default/${name}`;
    const direct = i % 10 === 0;
    const partner = direct ? undefined : (partnerTenants++ % partners) + 1;
    const currency = partner
      ? partner % 3 === 0
        ? 'CHF'
        : 'EUR'
      : i % 30 === 0
      ? 'CHF'
      : 'EUR';
    const missingDetails = direct && i % 200 === 0;
    const plan = PLANS[mix(i, 1) % 3];
    const seats = mix(i, 2) % 501;
    const cycle: Price['cycle'] = mix(i, 3) % 4 === 0 ? 'yearly' : 'monthly';
    const context = {
      ...(missingDetails ? {} : { currency }),
      missingDetails,
      cycle,
      ...(missingDetails ? {} : { price: priceOf(plan, currency, cycle) }),
      stripeConnected: true,
    };
    const r = mix(i, 4) % 20;
    let seq = 0;
    const event = (
      type: LifecycleEvent['type'],
      status: TenantStatus,
    ): LifecycleEvent => ({
      id: `00000000-0000-4000-8000-${pad(i * 4 + seq, 12)}`,
      seq: ++seq,
      type,
      tenantRef,
      ...(partner ? { partnerRef: partnerRef(partner) } : {}),
      at: NOW,
      status,
      plan,
      seats,
    });
    let record: BillingRecord;
    if (r === 0) {
      // never activated: nothing billed
      record = applyLifecycleEvent(
        undefined,
        event('seatsChanged', 'active'),
        context,
        NOW,
      );
    } else {
      record = applyLifecycleEvent(
        undefined,
        event('activated', 'active'),
        context,
        NOW,
      );
      if (r <= 2) {
        record = applyLifecycleEvent(
          record,
          event('suspended', 'suspended'),
          context,
          NOW,
        );
      } else if (r === 3) {
        record = applyLifecycleEvent(
          record,
          event('terminated', 'terminated'),
          context,
          NOW,
        );
      }
    }
    let stripe: StripePatch | undefined;
    if (record.activated) {
      stripe = { customerId: `cus_b${pad(i, 5)}`, syncedAt: NOW };
      if (record.status) {
        stripe = {
          ...stripe,
          subscriptionId: `sub_b${pad(i, 5)}`,
          itemId: `si_b${pad(i, 5)}`,
          priceId: `price_bench_${plan}_${record.currency!.toLowerCase()}_${
            record.cycle
          }`,
          status: record.status === 'canceled' ? 'canceled' : 'active',
          collectionPaused: record.status === 'paused',
          quantity: seats,
          currentPeriodStart: new Date(T0 * 1000).toISOString(),
          currentPeriodEnd: new Date((T0 + 30 * 86400) * 1000).toISOString(),
          generation: 1,
        };
      }
    }
    tenants.push({
      record,
      ...(stripe ? { stripe } : {}),
      outOfSync: record.status === 'active' && mix(i, 5) % 50 === 0,
    });
  }
  return {
    tenants,
    partners,
    scopePartner: partnerRef(Math.min(3, partners)),
    active: tenants.filter(t => t.record.status === 'active'),
  };
}

/**
 * Stores the records through the production store, 500 tenants per
 * transaction: save, then updateStripe and setCondition where due.
 */
async function seed(knex: Knex, s: Seed): Promise<number> {
  const t0 = performance.now();
  for (let from = 0; from < s.tenants.length; from += 500) {
    await knex.transaction(async tx => {
      const store = new TenantBillingStore(tx);
      for (const t of s.tenants.slice(from, from + 500)) {
        await store.save(t.record);
        if (t.stripe) await store.updateStripe(t.record.tenantRef, t.stripe);
        if (t.outOfSync) {
          await store.setCondition(
            t.record.tenantRef,
            {
              kind: 'out-of-sync',
              message: 'Stripe: the subscription could not be updated',
            },
            NOW,
          );
        }
      }
    });
  }
  return performance.now() - t0;
}

// --- MRR and the Billing page ---------------------------------------------------

/** What the seeded records add up to: the expected MRR report. */
function expectedMrr(tenants: SeedTenant[], partnerRef?: string): MrrReport {
  const report: MrrReport = { total: [], partners: [], direct: [] };
  const add = (list: MrrTotal[], r: BillingRecord) => {
    let t = list.find(x => x.currency === r.currency);
    if (!t) {
      t = { currency: r.currency!, mrr: 0, pausedMrr: 0, subscriptions: 0 };
      list.push(t);
    }
    t.mrr += r.mrr;
    t.pausedMrr += r.pausedMrr;
    t.subscriptions += 1;
  };
  for (const { record: r } of tenants) {
    if (!r.currency || (r.status !== 'active' && r.status !== 'paused')) {
      continue;
    }
    if (partnerRef && r.partnerRef !== partnerRef) continue;
    add(report.total, r);
    if (r.partnerRef) {
      let p = report.partners.find(x => x.partnerRef === r.partnerRef);
      if (!p) {
        p = { partnerRef: r.partnerRef, totals: [] };
        report.partners.push(p);
      }
      add(p.totals, r);
    } else {
      add(report.direct, r);
    }
  }
  const byCurrency = (a: MrrTotal, b: MrrTotal) =>
    a.currency < b.currency ? -1 : 1;
  report.total.sort(byCurrency);
  report.direct.sort(byCurrency);
  report.partners.sort((a, b) => (a.partnerRef < b.partnerRef ? -1 : 1));
  for (const p of report.partners) p.totals.sort(byCurrency);
  return report;
}

interface QueryRow {
  label: string;
  /** What one call is checked against (throws CheckFailed). */
  run: (store: TenantBillingStore) => Promise<void>;
  matches: number;
  isMrr: boolean;
}

function queryRows(s: Seed): QueryRow[] {
  const scope = billingTenantPermissionRules.isTenantOfPartner.toQuery({
    partnerRefs: [s.scopePartner],
  });
  const sameJson = (what: string, got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new CheckFailed(
        `${what}: got ${JSON.stringify(got).slice(
          0,
          400,
        )}, expected ${JSON.stringify(want).slice(0, 400)}`,
      );
    }
  };
  const allMrr = expectedMrr(s.tenants);
  const scopedMrr = expectedMrr(s.tenants, s.scopePartner);
  const billed = (t: SeedTenant) =>
    !!t.record.currency &&
    (t.record.status === 'active' || t.record.status === 'paused');
  const conditionOf = (t: SeedTenant) =>
    t.outOfSync ? 'out-of-sync' : t.record.condition.kind;
  const names = (ts: SeedTenant[]) => ts.map(t => t.record.tenant).sort();
  const page = (
    label: string,
    filter: Parameters<TenantBillingStore['list']>[0],
    expected: SeedTenant[],
  ): QueryRow => {
    const want = names(expected);
    const offset = filter.offset ?? 0;
    return {
      label,
      matches: want.length,
      isMrr: false,
      run: async store => {
        const { items, total } = await store.list(filter);
        sameJson(`${label}: total`, total, want.length);
        sameJson(
          `${label}: page`,
          items.map(i => i.tenant),
          want.slice(offset, offset + 50),
        );
      },
    };
  };
  const scoped = s.tenants.filter(t => t.record.partnerRef === s.scopePartner);
  return [
    {
      label: 'mrr(), operator: every tenant',
      matches: s.tenants.filter(billed).length,
      isMrr: true,
      run: async store => sameJson('mrr()', await store.mrr(), allMrr),
    },
    {
      label: `mrr(scope), partner ${s.scopePartner.replace(/^.*\//, '')}`,
      matches: scoped.filter(billed).length,
      isMrr: true,
      run: async store =>
        sameJson('mrr(scope)', await store.mrr(scope), scopedMrr),
    },
    page(
      'list: first page (50 by name + count), operator',
      { limit: 50, offset: 0 },
      s.tenants,
    ),
    page(
      'list: condition in-sync, operator',
      { condition: 'in-sync', limit: 50, offset: 0 },
      s.tenants.filter(t => conditionOf(t) === 'in-sync'),
    ),
    page(
      'list: condition out-of-sync, operator',
      { condition: 'out-of-sync', limit: 50, offset: 0 },
      s.tenants.filter(t => conditionOf(t) === 'out-of-sync'),
    ),
    page(
      'list: last page, operator',
      { limit: 50, offset: Math.floor((s.tenants.length - 1) / 50) * 50 },
      s.tenants,
    ),
    page(
      `list: first page, partner ${s.scopePartner.replace(/^.*\//, '')}`,
      { scope, limit: 50, offset: 0 },
      scoped,
    ),
  ];
}

/** Each row: warm-up runs, then `runs` timed runs, each checked. */
async function measureQueries(
  store: TenantBillingStore,
  rows: QueryRow[],
  runs: number,
): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const row of rows) {
    for (let i = 0; i < WARMUP_RUNS; i++) await row.run(store);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await row.run(store);
      samples.push(performance.now() - t);
    }
    out.push(timing(samples));
  }
  return out;
}

// --- webhook events -------------------------------------------------------------

interface BenchEvent {
  id: string;
  type: string;
  body: Buffer;
  replay: boolean;
}

interface SentState {
  /** Invoice id → the highest status sent for it, and its tenant. */
  invoices: Map<string, { status: string; tenantRef: string }>;
  /** Tenant → the quantity of its newest subscription event sent. */
  quantities: Map<string, number>;
}

const RANK: Record<string, number> = { draft: 0, open: 1, paid: 2 };

interface InvoiceStep {
  status: 'draft' | 'open' | 'paid';
  type: string;
  failed?: boolean;
}

function envelope(
  id: string,
  type: string,
  created: number,
  object: object,
  previous?: object,
) {
  return {
    id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** A Stripe invoice of a billed tenant, in the pinned API version's shape. */
function invoiceObject(
  t: SeedTenant,
  id: string,
  status: 'draft' | 'open' | 'paid',
  created: number,
  step: { at: number; failed?: boolean },
) {
  const r = t.record;
  const s = t.stripe!;
  const currency = r.currency!.toLowerCase();
  const total = r.perSeatAmount! * r.seats;
  const finalized = status !== 'draft';
  const paid = status === 'paid';
  const periodEnd = created;
  const periodStart = created - (r.cycle === 'yearly' ? 365 : 30) * 86400;
  return {
    id,
    object: 'invoice',
    account_country: 'DE',
    account_name: 'Dezky GmbH',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_paid_off_stripe: 0,
    amount_remaining: paid ? 0 : total,
    amount_shipping: 0,
    application: null,
    attempt_count: step.failed || paid ? 1 : 0,
    attempted: step.failed || paid,
    auto_advance: !paid,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: finalized ? null : created + 3600,
    billing_reason: 'subscription_cycle',
    collection_method: 'send_invoice',
    created,
    currency,
    custom_fields: null,
    customer: s.customerId,
    customer_account: null,
    customer_address: null,
    customer_email: `billing@${r.tenant}.bench.example`,
    customer_name: r.tenant,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: created + 14 * 86400,
    effective_at: finalized ? step.at : null,
    ending_balance: finalized ? 0 : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: finalized
      ? `https://invoice.stripe.com/i/acct_bench/${id}`
      : null,
    invoice_pdf: finalized
      ? `https://pay.stripe.com/invoice/acct_bench/${id}/pdf`
      : null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: [
        {
          id: `il_${id.slice(3)}`,
          object: 'line_item',
          amount: total,
          currency,
          description: `${r.seats} × Dezky ${r.plan}`,
          discount_amounts: [],
          discountable: true,
          discounts: [],
          invoice: id,
          livemode: false,
          metadata: {},
          parent: {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: s.subscriptionId,
              subscription_item: s.itemId,
            },
            type: 'subscription_item_details',
          },
          period: { end: periodEnd, start: periodStart },
          pretax_credit_amounts: [],
          pricing: {
            price_details: {
              price: s.priceId,
              product: `prod_bench_${r.plan}`,
            },
            type: 'price_details',
            unit_amount_decimal: String(r.perSeatAmount),
          },
          quantity: r.seats,
          subscription: s.subscriptionId,
          subtotal: total,
          taxes: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: finalized ? `B${r.tenant.slice(1)}-${id.slice(-4)}` : null,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: {
        metadata: { tenant: r.tenantRef },
        subscription: s.subscriptionId,
      },
      type: 'subscription_details',
    },
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: null,
    },
    period_end: periodEnd,
    period_start: periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status,
    status_transitions: {
      finalized_at: finalized ? created + 3600 : null,
      marked_uncollectible_at: null,
      paid_at: paid ? step.at : null,
      voided_at: null,
    },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalized ? created + 5 : null,
  };
}

/** A Stripe subscription of a billed tenant with `quantity` seats. */
function subscriptionObject(t: SeedTenant, quantity: number) {
  const r = t.record;
  const s = t.stripe!;
  const start = T0;
  const item = {
    id: s.itemId,
    object: 'subscription_item',
    billing_thresholds: null,
    created: start,
    current_period_end: start + 30 * 86400,
    current_period_start: start,
    discounts: [],
    metadata: {},
    price: {
      id: s.priceId,
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      created: start - 86400,
      currency: r.currency!.toLowerCase(),
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: `prod_bench_${r.plan}`,
      recurring: {
        interval: r.cycle === 'yearly' ? 'year' : 'month',
        interval_count: 1,
        meter: null,
        trial_period_days: null,
        usage_type: 'licensed',
      },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'recurring',
      unit_amount: r.perSeatAmount,
      unit_amount_decimal: String(r.perSeatAmount),
    },
    quantity,
    subscription: s.subscriptionId,
    tax_rates: [],
  };
  return {
    object: {
      id: s.subscriptionId,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: start,
      billing_cycle_anchor_config: null,
      billing_mode: { flexible: null, type: 'flexible', updated_at: start },
      billing_thresholds: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'send_invoice',
      created: start,
      currency: r.currency!.toLowerCase(),
      customer: s.customerId,
      customer_account: null,
      days_until_due: 14,
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      ended_at: null,
      invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
      items: {
        object: 'list',
        data: [item],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${s.subscriptionId}`,
      },
      latest_invoice: null,
      livemode: false,
      metadata: { tenant: r.tenantRef },
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: {
        payment_method_options: null,
        payment_method_types: null,
        save_default_payment_method: 'off',
      },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: start,
      status: 'active',
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: {
        end_behavior: { missing_payment_method: 'create_invoice' },
      },
      trial_start: null,
    },
    previous: {
      items: {
        object: 'list',
        data: [{ ...item, quantity: r.seats }],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${s.subscriptionId}`,
      },
    },
  };
}

/**
 * The fresh events, in waves of 64 units (a unit: one invoice's
 * created → finalized → paid, one in eight with a payment_failed before the
 * paid; or, every fifth unit, one customer.subscription.updated), each wave
 * step by step — as Stripe sends a billing run's invoices — so that an
 * invoice's events are ~64 deliveries apart. `created` grows throughout.
 */
function* freshEvents(s: Seed, sent: SentState): Generator<BenchEvent> {
  const WAVE = 64;
  let created = T0 + 86400;
  let n = 0;
  const make = (type: string, object: object, previous?: object) => {
    const id = `evt_bench_${pad(++n, 7)}`;
    created += 1;
    return {
      id,
      type,
      replay: false,
      body: Buffer.from(
        JSON.stringify(envelope(id, type, created, object, previous)),
      ),
    };
  };
  for (let wave = 0; ; wave++) {
    const steps: Array<Array<() => BenchEvent>> = [[], [], [], []];
    for (let u = wave * WAVE; u < (wave + 1) * WAVE; u++) {
      const t = s.active[u % s.active.length];
      const tenantRef = t.record.tenantRef;
      if (u % 5 === 4) {
        const quantity = t.record.seats + 1 + (u % 7);
        steps[0].push(() => {
          sent.quantities.set(tenantRef, quantity);
          const { object, previous } = subscriptionObject(t, quantity);
          return make('customer.subscription.updated', object, previous);
        });
        continue;
      }
      const id = `in_bench_${pad(u, 7)}`;
      const invoiceCreated = created;
      const sequence: InvoiceStep[] = [
        { status: 'draft', type: 'invoice.created' },
        { status: 'open', type: 'invoice.finalized' },
        ...(u % 8 === 3
          ? [
              {
                status: 'open',
                type: 'invoice.payment_failed',
                failed: true,
              } as InvoiceStep,
            ]
          : []),
        { status: 'paid', type: 'invoice.paid' },
      ];
      sequence.forEach(({ status, type, failed }, k) =>
        steps[k].push(() => {
          const prev = sent.invoices.get(id);
          if (!prev || RANK[status] >= RANK[prev.status]) {
            sent.invoices.set(id, { status, tenantRef });
          }
          return make(
            type,
            invoiceObject(t, id, status, invoiceCreated, {
              at: created + 1,
              failed,
            }),
          );
        }),
      );
    }
    for (const step of steps) for (const next of step) yield next();
  }
}

/**
 * The deliveries: the fresh events, and in every 20th place from the 60th
 * on a replay (the same body, signed anew) of one sent 40–46 places before.
 */
function deliveries(s: Seed, total: number) {
  const sent: SentState = { invoices: new Map(), quantities: new Map() };
  const fresh = freshEvents(s, sent);
  const list: BenchEvent[] = [];
  const firsts: BenchEvent[] = [];
  for (let p = 0; p < total; p++) {
    if (p % 20 === 19 && firsts.length > 50) {
      const of = firsts[firsts.length - 40 - (p % 7)];
      list.push({ ...of, replay: true });
    } else {
      const e = fresh.next().value as BenchEvent;
      firsts.push(e);
      list.push(e);
    }
  }
  return { list, sent, fresh: firsts.length };
}

interface IntakeResult {
  wall: number;
  signMs: number;
  latencies: Array<{ type: string; ms: number }>;
  duplicates: number;
  statements: number;
  /** This process's CPU time during the intake (user + system). */
  cpuMs: number;
}

async function intake(
  service: WebhookService,
  client: Stripe,
  events: BenchEvent[],
  concurrency: number,
  statements: () => number,
): Promise<IntakeResult> {
  const latencies: IntakeResult['latencies'] = [];
  let duplicates = 0;
  let signMs = 0;
  let next = 0;
  const errors: string[] = [];
  const before = statements();
  const worker = async () => {
    while (next < events.length && errors.length === 0) {
      const e = events[next++];
      // what Stripe does before sending (with a fresh timestamp for every
      // delivery, a retry too); not part of the intake's latency
      const s0 = performance.now();
      const header = client.webhooks.generateTestHeaderString({
        payload: e.body.toString('utf8'),
        secret: WEBHOOK_SECRET,
      });
      const t = performance.now();
      signMs += t - s0;
      try {
        const receipt = await service.receive(e.body, header);
        latencies.push({
          type: e.replay ? 'replay' : e.type,
          ms: performance.now() - t,
        });
        if (receipt.duplicate) duplicates++;
      } catch (error) {
        errors.push(`${e.id} (${e.type}): ${error}`);
      }
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (errors.length) {
    throw new CheckFailed(`webhook intake failed: ${errors[0]}`);
  }
  return {
    wall,
    signMs,
    latencies,
    duplicates,
    statements: statements() - before,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** What the databases hold after the intake must be what was sent. */
async function checkIntake(
  knex: Knex,
  auditKnex: Knex,
  sent: SentState,
  result: IntakeResult,
  fresh: number,
  replays: number,
  /** The events kept by the --no-audit trail; undefined: the audit chain. */
  kept: unknown[] | undefined,
): Promise<string[]> {
  const lines: string[] = [];
  const fail = (what: string) => {
    throw new CheckFailed(`after the intake: ${what}`);
  };
  const events = await count(knex, 'billing_stripe_events');
  if (events !== fresh) {
    fail(
      `billing_stripe_events has ${events} rows, ${fresh} events were sent (not counting ${replays} replays)`,
    );
  }
  lines.push(
    `billing_stripe_events: ${fmtInt(events)} rows = ${fmtInt(
      fresh + replays,
    )} sent - ${fmtInt(replays)} replays`,
  );
  if (result.duplicates !== replays) {
    fail(
      `${result.duplicates} deliveries answered duplicate, ${replays} replays were sent`,
    );
  }
  lines.push(`answered duplicate: ${fmtInt(result.duplicates)} = the replays`);
  const invoices = await count(knex, 'billing_invoices');
  if (invoices !== sent.invoices.size) {
    fail(
      `billing_invoices has ${invoices} rows, ${sent.invoices.size} invoices were sent`,
    );
  }
  const rows = (await knex('billing_invoices').select(
    'id',
    'status',
    'tenant_ref',
  )) as Array<{ id: string; status: string; tenant_ref: string }>;
  for (const r of rows) {
    const want = sent.invoices.get(r.id);
    if (!want || want.status !== r.status || want.tenantRef !== r.tenant_ref) {
      fail(
        `invoice ${r.id} is ${r.status} of ${
          r.tenant_ref
        }, expected ${JSON.stringify(want)}`,
      );
    }
  }
  const paid = rows.filter(r => r.status === 'paid').length;
  lines.push(
    `billing_invoices: ${fmtInt(
      invoices,
    )} rows = the invoices sent, each in the last status sent (${fmtInt(
      paid,
    )} paid)`,
  );
  const outcomes = (await knex('billing_stripe_events')
    .select('outcome')
    .count({ n: '*' })
    .groupBy('outcome')) as Array<{ outcome: string; n: number | string }>;
  const byOutcome = Object.fromEntries(
    outcomes.map(o => [o.outcome, Number(o.n)]),
  );
  if (byOutcome.ignored) {
    const e = await knex('billing_stripe_events')
      .where({ outcome: 'ignored' })
      .first('id', 'message');
    fail(`${byOutcome.ignored} events ignored, e.g. ${e.id}: ${e.message}`);
  }
  const quantities = (await knex('billing_tenants')
    .whereIn('tenant_ref', [...sent.quantities.keys()])
    .select('tenant_ref', 'stripe_quantity')) as Array<{
    tenant_ref: string;
    stripe_quantity: number | string;
  }>;
  for (const q of quantities) {
    if (Number(q.stripe_quantity) !== sent.quantities.get(q.tenant_ref)) {
      fail(
        `${q.tenant_ref} has stripe_quantity ${
          q.stripe_quantity
        }, the newest event sent ${sent.quantities.get(q.tenant_ref)}`,
      );
    }
  }
  lines.push(
    `subscription mirror: ${fmtInt(
      quantities.length,
    )} tenants at the quantity of their newest customer.subscription.updated`,
  );
  const flagged = new Set(
    [...sent.invoices.values()]
      .filter(i => i.status === 'open')
      .map(i => i.tenantRef),
  );
  const failedNow = await count(knex, 'billing_tenants', {
    condition_kind: 'payment-failed',
  });
  lines.push(
    `payment-failed condition: ${failedNow} tenants (at most ${flagged.size} with an invoice left open)`,
  );
  if (failedNow > flagged.size) {
    fail(
      `${failedNow} tenants flagged payment-failed, at most ${flagged.size} expected`,
    );
  }
  const applied = byOutcome.applied ?? 0;
  const outcomeLine = `outcomes: ${Object.entries(byOutcome)
    .map(([k, v]) => `${k} ${fmtInt(v)}`)
    .join(', ')}`;
  if (kept) {
    if (kept.length !== applied) {
      fail(`the trail kept ${kept.length} events for ${applied} applied`);
    }
    lines.push(
      `${outcomeLine}; trail (array): ${fmtInt(
        kept.length,
      )} events (= applied)`,
    );
    return lines;
  }
  const audited = await count(auditKnex, 'audit_events');
  if (audited !== applied) {
    fail(`${audited} audit events for ${applied} applied Stripe events`);
  }
  const chain = await verifyChain(new AuditStore(auditKnex));
  if (!chain.ok || chain.verified !== audited) {
    fail(`the audit chain does not verify: ${JSON.stringify(chain)}`);
  }
  lines.push(
    `${outcomeLine}; audit chain: ${fmtInt(
      audited,
    )} events (= applied), verifies`,
  );
  return lines;
}

// --- main -----------------------------------------------------------------------

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const server = new PgServer(o.pg!);
  const open: Knex[] = [];
  const cleanup = async () => {
    for (const k of open.splice(0)) await k.destroy().catch(() => {});
    await server.close().catch(() => {});
  };
  onInterrupt(cleanup);

  try {
    const s = planTenants(o.tenants);
    const { list, sent, fresh } = deliveries(s, o.events);
    const replays = list.length - fresh;

    console.log('Dezky billing benchmark');
    console.log(`machine:  ${machineLine()}`);
    console.log(`commit:   ${gitCommit()}`);
    console.log(
      `postgres: ${await server.describe()}${
        o.ownPostgres ? ' (throwaway, scripts/lib/postgres.sh)' : ''
      }; knex pool max 10 per database`,
    );
    console.log(
      `tenants:  ${fmtInt(o.tenants)} (${s.partners} partners, ${fmtInt(
        s.tenants.filter(t => !t.record.partnerRef).length,
      )} direct; ${fmtInt(
        s.tenants.filter(t => t.record.status === 'active').length,
      )} active, ${fmtInt(
        s.tenants.filter(t => t.record.status === 'paused').length,
      )} paused, ${fmtInt(
        s.tenants.filter(t => t.record.status === 'canceled').length,
      )} canceled, ${fmtInt(
        s.tenants.filter(t => !t.record.status).length,
      )} not billed)`,
    );
    console.log(
      `events:   ${fmtInt(list.length)} deliveries (${fmtInt(
        fresh,
      )} events, ${fmtInt(replays)} replays), ${
        o.concurrency
      } in flight, API version ${STRIPE_API_VERSION}, ~${fmtInt(
        list.reduce((n, e) => n + e.body.length, 0) / list.length,
      )} bytes each`,
    );
    console.log(
      `trail:    ${
        o.audit
          ? 'the audit chain (AuditService + AuditStore, group commit, on a database of its own; no Merkle tree, no checkpoint signer, no catalog attribution)'
          : 'an array in memory (--no-audit): the audit chain is NOT measured'
      }`,
    );
    console.log(
      `queries:  ${o.runs} timed runs each after ${WARMUP_RUNS} warm-up runs${
        o.sqlite ? '; SQLite in memory for comparison' : ''
      }`,
    );
    console.log('');

    // 1. seed
    log(`PostgreSQL: seeding ${fmtInt(o.tenants)} tenants`);
    const database = async (label: string, migrations: string) =>
      (
        await server.createDatabase(
          `billing_bench_${label}_${process.pid}`,
          migrations,
        )
      ).knex;
    const knex = await database('billing', BILLING_MIGRATIONS);
    open.push(knex);
    const auditKnex = await database('audit', AUDIT_MIGRATIONS);
    open.push(auditKnex);
    const seedPg = await seed(knex, s);
    log(`  seeded in ${(seedPg / 1000).toFixed(1)} s`);
    let sqlite: Knex | undefined;
    if (o.sqlite) {
      log(`SQLite: seeding ${fmtInt(o.tenants)} tenants`);
      sqlite = await createSqlite();
      open.push(sqlite);
      const seedSqlite = await seed(sqlite, s);
      log(`  seeded in ${(seedSqlite / 1000).toFixed(1)} s`);
    }
    const stored = await count(knex, 'billing_tenants');
    if (stored !== o.tenants) {
      throw new CheckFailed(
        `billing_tenants has ${stored} rows, not ${o.tenants}`,
      );
    }

    // 2. MRR and the Billing page
    const rows = queryRows(s);
    log('PostgreSQL: MRR and the Billing page');
    await knex.raw('ANALYZE');
    const pgTimes = await measureQueries(
      new TenantBillingStore(knex),
      rows,
      o.runs,
    );
    let sqliteTimes: Timing[] | undefined;
    if (sqlite) {
      log('SQLite: MRR and the Billing page');
      sqliteTimes = await measureQueries(
        new TenantBillingStore(sqlite),
        rows,
        o.runs,
      );
    }

    // 3. webhook intake
    log(
      `PostgreSQL: webhook intake, ${fmtInt(list.length)} deliveries, ${
        o.concurrency
      } in flight`,
    );
    const stripe = connectStripe(
      new ConfigReader({
        billing: {
          stripe: {
            enabled: 'true',
            secretKey: 'sk_test_bench',
            webhookSecret: WEBHOOK_SECRET,
          },
        },
      }),
    );
    const logger = mockServices.rootLogger({ level: 'warn' });
    const chain = new AuditService(new AuditStore(auditKnex), logger);
    // --no-audit: a trail that keeps the events in an array (the audit
    // chain's share of the intake, by difference)
    const kept: unknown[] = [];
    const trail: AuditTrailService = o.audit
      ? { record: inputs => chain.recordAll(inputs) }
      : {
          record: async inputs => {
            kept.push(...inputs);
            return [];
          },
        };
    const webhooks = new WebhookService({
      store: new StripeEventStore(knex),
      stripe,
      trail,
    });
    let statements = 0;
    knex.on('query', () => {
      statements++;
    });
    const result = await intake(
      webhooks,
      stripe.client!,
      list,
      o.concurrency,
      () => statements,
    );
    // the audit events are stored with the Stripe events and forwarded to
    // the chain in batches after the answers: how far behind it was at the end
    const tail0 = performance.now();
    await webhooks.forwardAudit();
    const auditTailMs = performance.now() - tail0;
    log(`  done in ${(result.wall / 1000).toFixed(2)} s; checking`);
    const checks = await checkIntake(
      knex,
      auditKnex,
      sent,
      result,
      fresh,
      replays,
      o.audit ? undefined : kept,
    );

    // 4. results
    console.log('');
    console.log(
      `MRR and the Billing page's query (TenantBillingStore, ${fmtInt(
        o.tenants,
      )} tenants; ms per call, ${o.runs} runs)`,
    );
    const header = ['query', 'matches', 'pg median', 'pg p95', 'pg max'];
    if (sqliteTimes) header.push('sqlite median', 'sqlite p95', 'sqlite max');
    console.log(
      table([
        header,
        ...rows.map((r, i) => [
          r.label,
          fmtInt(r.matches),
          ms(pgTimes[i].median),
          ms(pgTimes[i].p95),
          ms(pgTimes[i].max),
          ...(sqliteTimes
            ? [
                ms(sqliteTimes[i].median),
                ms(sqliteTimes[i].p95),
                ms(sqliteTimes[i].max),
              ]
            : []),
        ]),
      ]),
    );
    console.log('');
    const all = timing(result.latencies.map(l => l.ms));
    const rate = list.length / (result.wall / 1000);
    console.log(
      `Webhook intake (WebhookService.receive on PostgreSQL: signature, store, apply, audit; ${o.concurrency} in flight)`,
    );
    console.log(
      table([
        [
          'deliveries',
          'events',
          'replays',
          'wall s',
          'events/s',
          'median ms',
          'p95 ms',
          'max ms',
          'SQL statements/delivery',
          'bench CPU ms/delivery',
        ],
        [
          fmtInt(list.length),
          fmtInt(fresh),
          fmtInt(replays),
          (result.wall / 1000).toFixed(2),
          fmtInt(rate),
          ms(all.median),
          ms(all.p95),
          ms(all.max),
          (result.statements / list.length).toFixed(1),
          (result.cpuMs / list.length).toFixed(2),
        ],
      ]),
    );
    const types = [...new Set(result.latencies.map(l => l.type))];
    console.log(
      table([
        ['by type', 'deliveries', 'median ms', 'p95 ms', 'max ms'],
        ...types.map(type => {
          const t = timing(
            result.latencies.filter(l => l.type === type).map(l => l.ms),
          );
          return [
            type,
            fmtInt(result.latencies.filter(l => l.type === type).length),
            ms(t.median),
            ms(t.p95),
            ms(t.max),
          ];
        }),
      ]),
    );
    console.log(
      `(latency: from calling receive to its answer, the delivery already signed; wall includes signing, ${(
        result.signMs / 1000
      ).toFixed(
        2,
      )} s in all; SQL statements: on the billing database, BEGIN/COMMIT included, the audit database's not)`,
    );
    console.log(
      `(audit: each applied event's audit event is stored with it and forwarded to the ${
        o.audit ? 'audit chain' : 'trail'
      } in batches after the answer; the last ones were in it ${ms(
        auditTailMs,
      )} ms after the last answer)`,
    );
    console.log('');
    console.log('Checks:');
    for (const line of checks) console.log(`  ${line}`);
    console.log('');
    console.log(
      `webhook intake, PostgreSQL = ${fmtInt(rate)} events/s (${fmtInt(
        list.length,
      )} deliveries, ${o.concurrency} in flight; median ${ms(
        all.median,
      )} ms, p95 ${ms(all.p95)} ms) (target >= ${EVENTS_TARGET}): ${met(
        rate >= EVENTS_TARGET,
      )}`,
    );
    rows.forEach((r, i) => {
      if (!r.isMrr) return;
      console.log(
        `${r.label}, PostgreSQL = p95 ${ms(pgTimes[i].p95)} ms, max ${ms(
          pgTimes[i].max,
        )} ms (target <= ${MRR_TARGET_MS} ms): ${met(
          pgTimes[i].p95 <= MRR_TARGET_MS,
        )}`,
      );
    });
    return 0;
  } finally {
    await cleanup();
  }
}

runMain(main, USAGE, 3000);
