import { LoggerService } from '@backstage/backend-plugin-api';
import { createHash } from 'crypto';
import { MrrHistoryStore, SnapshotRow } from '../database/MrrHistoryStore';
import { PayoutService } from './PayoutService';
import { dayOf, monthOf } from './payouts';

/** The last day of the month `back` months before `month` (YYYY-MM). */
function monthEnd(month: string, back: number): string {
  const [y, m] = month.split('-').map(Number);
  return dayOf(new Date(Date.UTC(y, m - back, 0)));
}

/** A stable number in [0, 1) from a tenant ref (the same on every run). */
function unit(ref: string, salt: string): number {
  return (
    createHash('sha256').update(`${salt}:${ref}`).digest().readUInt32BE(0) /
    2 ** 32
  );
}

/**
 * The rows of a month-end `back` months ago, derived from today's: each
 * tenant "signed up" a stable number of months ago (so earlier months have
 * fewer tenants), with fewer seats the further back; MRR scales with seats,
 * rounded to whole minor units.
 */
export function demoRows(
  live: Array<Omit<SnapshotRow, 'day'>>,
  back: number,
  months: number,
): Array<Omit<SnapshotRow, 'day'>> {
  return live.flatMap(r => {
    if (!r.currency) return [];
    const age = Math.floor(unit(r.tenant_ref, 'age') * (months + 4));
    if (back > age) return [];
    const seats = Math.max(
      1,
      Math.round(r.seats * (1 - 0.04 * back * unit(r.tenant_ref, 'growth'))),
    );
    const scale = (amount: number) =>
      r.seats > 0 ? Math.round((amount * seats) / r.seats) : amount;
    // a terminated or suspended tenant was active before
    const active = r.lifecycle === 'active' || back > 1;
    const whole = r.mrr + r.paused_mrr;
    return [
      {
        ...r,
        seats,
        status: active ? 'active' : r.status,
        lifecycle: active ? 'active' : r.lifecycle,
        mrr: scale(active ? whole : r.mrr),
        paused_mrr: active ? 0 : scale(r.paused_mrr),
      },
    ];
  });
}

/**
 * Development only (config `billing.demoHistory.months`, docs/reports.md#demo-history):
 * a fresh portal has one day of MRR history, so the reports have nothing
 * to draw. Once billing knows tenants, this writes month-end snapshots for
 * the `months` months before the current one, derived from today's records,
 * and generates those months' payouts (closed, as any past month's are).
 * It writes nothing when any snapshot before this month exists, so it runs
 * once per database; production configuration never sets it.
 */
export async function seedDemoHistory(deps: {
  history: MrrHistoryStore;
  payouts: PayoutService;
  months: number;
  logger: LoggerService;
  /** Wait while a priced tenant's health is not computed yet (so the history carries it). */
  waitForHealth?: boolean;
  now?: () => Date;
}): Promise<'seeded' | 'not-needed' | 'waiting'> {
  const today = dayOf(deps.now?.() ?? new Date());
  const first = await deps.history.firstDay();
  if (first && first < `${monthOf(today)}-01`) return 'not-needed';
  const live = await deps.history.liveRows();
  if (!live.some(r => r.currency)) return 'waiting';
  if (deps.waitForHealth && live.some(r => r.currency && r.health === null)) {
    return 'waiting';
  }
  for (let back = deps.months; back >= 1; back--) {
    const day = monthEnd(monthOf(today), back);
    await deps.history.insertDay(
      day,
      `${day}T23:00:00.000Z`,
      demoRows(live, back, deps.months),
    );
  }
  for (let back = deps.months; back >= 1; back--) {
    await deps.payouts.generate(monthOf(monthEnd(monthOf(today), back)));
  }
  deps.logger.warn(
    `billing: wrote a DEMO MRR history of ${deps.months} months (billing.demoHistory.months, development only) and its payouts`,
  );
  return 'seeded';
}
