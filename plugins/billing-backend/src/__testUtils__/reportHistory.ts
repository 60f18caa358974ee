/*
 * A generated billing history for the reports' tests and benchmark: a
 * model of tenants over N months (signup, seats changing month by month,
 * suspensions, terminations, health), written to the tables the reports
 * read — billing_mrr_snapshots and billing_snapshot_days, the lifecycle
 * events in billing_handled_events, billing_payouts — and kept in memory,
 * so that a test computes each report's expected figures from the model
 * independently of the SQL under test.
 */
import { seededRandom } from '@internal/dezky-test-utils';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { SnapshotRow, writeTotals } from '../database/MrrHistoryStore';

/** A deterministic random number in [0, 1), so a failing seed replays. */
export function prng(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next(2 ** 32) / 2 ** 32;
}

/** YYYY-MM of `month` months after `start` (YYYY-MM). */
export function addMonths(start: string, months: number): string {
  const [y, m] = start.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + months, 1));
  return d.toISOString().slice(0, 7);
}

/** The last day of a month, YYYY-MM-DD. */
export function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

export interface GeneratedTenant {
  ref: string;
  name: string;
  partnerRef: string | null;
  currency: string;
  plan: string;
  /** Minor units per seat per month. */
  perSeat: number;
  /** The day of its first activation. */
  activatedOn: string;
  /** Suspended from this day (inclusive) to `resumedOn` (exclusive; absent: still suspended). */
  suspendedOn?: string;
  resumedOn?: string;
  /** Terminated on this day (its subscription is cancelled). */
  terminatedOn?: string;
  /** Seats in each month of the history, by YYYY-MM. */
  seats: Record<string, number>;
  /** Health in each month, by YYYY-MM (null: not yet known). */
  health: Record<string, 'ok' | 'warn' | 'bad' | null>;
}

export interface GeneratedEvent {
  id: string;
  tenantRef: string;
  partnerRef: string | null;
  type: 'activated' | 'suspended' | 'resumed' | 'terminated';
  at: string;
}

export interface GeneratedPayout {
  partnerRef: string;
  month: string;
  currency: string;
  amount: number;
}

export interface GeneratedHistory {
  /** The months, oldest first (YYYY-MM). */
  months: string[];
  /** The snapshot days, oldest first. */
  days: string[];
  tenants: GeneratedTenant[];
  events: GeneratedEvent[];
  /** Every snapshot row written, by day. */
  snapshots: Map<string, SnapshotRow[]>;
  payouts: GeneratedPayout[];
  partners: string[];
}

export interface GenerateOptions {
  tenants: number;
  months: number;
  /** The last month of the history, YYYY-MM. */
  lastMonth: string;
  /** The last snapshot day (≤ the last month's last day); default that day. */
  lastDay?: string;
  partners?: number;
  currencies?: string[];
  plans?: string[];
  /** Which days of each month have a snapshot: 'daily', or a list of days of the month ('last' = its last day). */
  snapshotDays?: 'daily' | Array<number | 'last'>;
  seed?: number;
}

const day = (month: string, d: number) =>
  `${month}-${String(d).padStart(2, '0')}`;

/** Builds the model (no database). */
export function generateHistory(options: GenerateOptions): GeneratedHistory {
  const rnd = prng(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const first = addMonths(options.lastMonth, -(options.months - 1));
  const months = Array.from({ length: options.months }, (_, i) =>
    addMonths(first, i),
  );
  const lastDay = options.lastDay ?? lastDayOf(options.lastMonth);
  const spec = options.snapshotDays ?? [1, 15, 'last'];
  const days: string[] = [];
  for (const month of months) {
    const n = Number(lastDayOf(month).slice(8));
    const ds =
      spec === 'daily'
        ? Array.from({ length: n }, (_, i) => i + 1)
        : spec.map(d => (d === 'last' ? n : Math.min(d, n)));
    for (const d of [...new Set(ds)].sort((a, b) => a - b)) {
      const dd = day(month, d);
      if (dd <= lastDay) days.push(dd);
    }
  }
  const partners = Array.from(
    { length: options.partners ?? 5 },
    (_, i) => `partner:default/p${String(i).padStart(3, '0')}`,
  );
  const currencies = options.currencies ?? ['EUR', 'CHF', 'JPY'];
  const plans = options.plans ?? ['starter', 'business', 'enterprise'];
  const perSeat: Record<string, number> = {};
  for (const p of plans) {
    for (const c of currencies) {
      perSeat[`${p}/${c}`] = 100 + Math.floor(rnd() * 5000) + 1; // odd amounts too
    }
  }
  const anyDay = (month: string) =>
    day(month, 1 + Math.floor(rnd() * Number(lastDayOf(month).slice(8))));
  const tenants: GeneratedTenant[] = [];
  const events: GeneratedEvent[] = [];
  for (let i = 0; i < options.tenants; i++) {
    const name = `t${String(i).padStart(5, '0')}`;
    const ref = `tenant:default/${name}`;
    const partnerRef = rnd() < 0.2 ? null : pick(partners);
    const currency = pick(currencies);
    const plan = pick(plans);
    // a tenth signed up before the history starts
    const startIdx = rnd() < 0.1 ? -1 : Math.floor(rnd() * options.months);
    const activatedOn =
      startIdx < 0
        ? day(addMonths(first, -1 - Math.floor(rnd() * 6)), 10)
        : anyDay(months[startIdx]);
    const t: GeneratedTenant = {
      ref,
      name,
      partnerRef,
      currency,
      plan,
      perSeat: perSeat[`${plan}/${currency}`],
      activatedOn,
      seats: {},
      health: {},
    };
    const from = Math.max(startIdx, 0);
    if (rnd() < 0.25) {
      const k = from + Math.floor(rnd() * (options.months - from));
      const d = anyDay(months[k]);
      if (d > activatedOn) t.terminatedOn = d;
    }
    if (rnd() < 0.15) {
      const k = from + Math.floor(rnd() * (options.months - from));
      const d = anyDay(months[k]);
      if (d > activatedOn && (!t.terminatedOn || d < t.terminatedOn)) {
        t.suspendedOn = d;
        if (rnd() < 0.6) {
          const k2 = k + Math.floor(rnd() * (options.months - k));
          const d2 = anyDay(months[k2]);
          if (d2 > d && (!t.terminatedOn || d2 < t.terminatedOn)) {
            t.resumedOn = d2;
          }
        }
      }
    }
    let seats = 1 + Math.floor(rnd() * 40);
    for (const m of months) {
      if (rnd() < 0.2) seats = Math.max(1, seats + Math.floor(rnd() * 11) - 5);
      t.seats[m] = seats;
      const h = rnd();
      let health: 'ok' | 'warn' | 'bad' | null = 'ok';
      if (h < 0.05) health = null;
      else if (h < 0.15) health = 'bad';
      else if (h < 0.3) health = 'warn';
      t.health[m] = health;
    }
    tenants.push(t);
    const event = (type: GeneratedEvent['type'], on: string) =>
      events.push({
        id: randomUUID(),
        tenantRef: ref,
        partnerRef,
        type,
        at: `${on}T10:00:00.000Z`,
      });
    event('activated', activatedOn);
    if (t.suspendedOn && t.suspendedOn <= lastDay)
      event('suspended', t.suspendedOn);
    if (t.resumedOn && t.resumedOn <= lastDay) event('resumed', t.resumedOn);
    if (t.terminatedOn && t.terminatedOn <= lastDay) {
      event('terminated', t.terminatedOn);
    }
  }
  const snapshots = new Map<string, SnapshotRow[]>();
  for (const d of days)
    snapshots.set(
      d,
      tenants.flatMap(t => rowOf(t, d)),
    );
  // a payout per partner × month × currency, as the ledger would hold
  const payouts: GeneratedPayout[] = [];
  for (const month of months) {
    const finalDay = [...days].reverse().find(d => d.startsWith(month));
    if (!finalDay) continue;
    const gross = new Map<string, number>();
    for (const r of snapshots.get(finalDay)!) {
      if (!r.partner_ref || !r.currency || r.status !== 'active') continue;
      const key = `${r.partner_ref}|${r.currency}`;
      gross.set(key, (gross.get(key) ?? 0) + r.mrr);
    }
    for (const [key, g] of gross) {
      const [partnerRef, currency] = key.split('|');
      payouts.push({ partnerRef, month, currency, amount: Math.round(g / 5) });
    }
  }
  return { months, days, tenants, events, snapshots, payouts, partners };
}

/** A tenant's snapshot row on a day (none before it was activated). */
export function rowOf(t: GeneratedTenant, d: string): SnapshotRow[] {
  if (d < t.activatedOn) return [];
  const month = d.slice(0, 7);
  const seats = t.seats[month] ?? Object.values(t.seats)[0];
  const terminated = t.terminatedOn !== undefined && d >= t.terminatedOn;
  const suspended =
    !terminated &&
    t.suspendedOn !== undefined &&
    d >= t.suspendedOn &&
    (t.resumedOn === undefined || d < t.resumedOn);
  const amount = seats * t.perSeat;
  let status: string;
  let lifecycle: string;
  if (terminated) {
    status = 'canceled';
    lifecycle = 'terminated';
  } else if (suspended) {
    status = 'paused';
    lifecycle = 'suspended';
  } else {
    status = 'active';
    lifecycle = 'active';
  }
  return [
    {
      day: d,
      tenant_ref: t.ref,
      tenant_name: t.name,
      partner_ref: t.partnerRef,
      plan: t.plan,
      seats,
      currency: t.currency,
      status,
      lifecycle,
      mrr: status === 'active' ? amount : 0,
      paused_mrr: status === 'paused' ? amount : 0,
      health: t.health[month] ?? null,
    },
  ];
}

/** Writes the history to the billing tables (which must be migrated and empty). */
export async function writeHistory(
  knex: Knex,
  history: GeneratedHistory,
  options: { chunk?: number } = {},
): Promise<void> {
  const chunk = options.chunk ?? 500;
  for (const d of history.days) {
    const rows = history.snapshots.get(d)!;
    await knex('billing_snapshot_days').insert({
      day: d,
      taken_at: `${d}T23:00:00.000Z`,
      tenants: rows.length,
    });
    await knex.batchInsert('billing_mrr_snapshots', rows, chunk);
  }
  // the per-day totals the store writes with each snapshot
  await writeTotals(knex);
  const events = history.events.map((e, seq) => ({
    event_id: e.id,
    tenant_ref: e.tenantRef,
    type: e.type,
    seq: seq + 1,
    handled_at: e.at,
    at: e.at,
    partner_ref: e.partnerRef,
  }));
  await knex.batchInsert('billing_handled_events', events, chunk);
  await knex.batchInsert(
    'billing_payouts',
    history.payouts.map(p => ({
      id: randomUUID(),
      partner_ref: p.partnerRef,
      month: p.month,
      currency: p.currency,
      gross_mrr: p.amount * 5,
      margin_pct: '20',
      amount: p.amount,
      state: 'closed',
      snapshot_day: lastDayOf(p.month),
      generated_at: `${lastDayOf(p.month)}T23:00:00.000Z`,
      closed_at: `${lastDayOf(p.month)}T23:00:00.000Z`,
    })),
    chunk,
  );
}
