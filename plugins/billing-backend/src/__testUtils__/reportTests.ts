/*
 * What the reports' tests share: a migrated database holding a generated
 * history with a ReportService over it, a partner staff member's scope,
 * and — for the reports over the MRR snapshots — the history the snapshot
 * and health tests run on, the filters they are checked with, and the
 * model's snapshot days and rows a run may see.
 */
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ReportFilters } from '@internal/plugin-billing-common';
import { billingTenantPermissionRules } from '@internal/plugin-billing-node';
import { Knex } from 'knex';
import { SnapshotRow } from '../database/MrrHistoryStore';
import { PriceStore } from '../database/PriceStore';
import { ReportService } from '../service/ReportService';
import { BillingScope } from '../service/TenantBillingService';
import {
  GeneratedHistory,
  generateHistory,
  writeHistory,
} from './reportHistory';

/**
 * A database of `id`, migrated (PriceStore.create runs the billing
 * migrations), holding `history`, and a ReportService over it.
 */
export async function reportDatabase(
  databases: TestDatabases,
  id: TestDatabaseId,
  history: GeneratedHistory,
  service: Omit<ConstructorParameters<typeof ReportService>[0], 'knex'> = {},
): Promise<{ knex: Knex; service: ReportService }> {
  const knex = await databases.init(id);
  await PriceStore.create({ database: mockServices.database({ knex }) });
  await writeHistory(knex, history);
  return { knex, service: new ReportService({ knex, ...service }) };
}

/** A partner's staff: what the permission framework makes of IS_TENANT_OF_PARTNER. */
export const staffScope = (...partnerRefs: string[]): BillingScope =>
  billingTenantPermissionRules.isTenantOfPartner.toQuery({ partnerRefs });

// --- the snapshot reports' history and cases ---------------------------------

export const TODAY = new Date('2026-11-10T12:00:00.000Z');
/** The default range: 12 months to today. */
export const DEFAULT_FROM = '2025-12-01';
export const TO = '2026-11-10';
export const ref = (name: string) => `partner:default/${name}`;

/**
 * 1,000 tenants over 24 months to 2026-11, snapshots on the 1st, the 15th
 * and the last day of each month — but the history ends on 2026-11-10
 * (today), so November has one snapshot, the 1st.
 */
export const snapshotHistory = (seed?: number): GeneratedHistory =>
  generateHistory({
    tenants: 1000,
    months: 24,
    lastMonth: '2026-11',
    lastDay: '2026-11-10',
    seed,
  });

/** What a run may see: the filters and the caller's partners (undefined: all). */
export interface Seen {
  from: string;
  to: string;
  /** A partner's ref; null: direct only. */
  partnerRef?: string | null;
  currency?: string;
  /** Partner staff: their partners. */
  staffOf?: string[];
}

/** The model's snapshot days and rows that a run may see. */
export function snapshotModel(history: GeneratedHistory) {
  const visible = (s: Seen) => (r: SnapshotRow) =>
    (s.staffOf === undefined ||
      (r.partner_ref !== null && s.staffOf.includes(r.partner_ref))) &&
    (s.partnerRef === undefined || r.partner_ref === s.partnerRef) &&
    (!s.currency || r.currency === s.currency);
  const daysIn = (s: Seen) =>
    history.days.filter(d => d >= s.from && d <= s.to);
  /** Each month's final snapshot day in the range. */
  const finalDaysIn = (s: Seen) => {
    const last = new Map<string, string>();
    for (const d of daysIn(s)) last.set(d.slice(0, 7), d); // ascending: the last wins
    return [...last.values()];
  };
  const asOfIn = (s: Seen) => daysIn(s)[daysIn(s).length - 1];
  const rowsOn = (day: string, s: Seen) =>
    history.snapshots.get(day)!.filter(visible(s));
  return { visible, daysIn, finalDaysIn, asOfIn, rowsOn };
}

/** The same filters, as ReportService takes them and as the model reads them. */
export interface Case {
  label: string;
  filters: ReportFilters;
  seen: Seen;
}

export const CASES: Case[] = [
  {
    label: 'the default range (12 months to today)',
    filters: {},
    seen: { from: DEFAULT_FROM, to: TO },
  },
  {
    label: '24 months',
    filters: { from: '2024-12-01' },
    seen: { from: '2024-12-01', to: TO },
  },
  {
    label: 'from and to within months (their final snapshots in the range)',
    filters: { from: '2025-03-10', to: '2026-10-20' },
    seen: { from: '2025-03-10', to: '2026-10-20' },
  },
  {
    label: 'partner p001',
    filters: { partner: 'p001' },
    seen: { from: DEFAULT_FROM, to: TO, partnerRef: ref('p001') },
  },
  {
    label: 'partner direct',
    filters: { partner: 'direct' },
    seen: { from: DEFAULT_FROM, to: TO, partnerRef: null },
  },
  {
    label: 'currency CHF',
    filters: { currency: 'CHF' },
    seen: { from: DEFAULT_FROM, to: TO, currency: 'CHF' },
  },
  {
    label: 'partner p003 in JPY, from 2025-06-15',
    filters: { partner: 'p003', currency: 'JPY', from: '2025-06-15' },
    seen: {
      from: '2025-06-15',
      to: TO,
      partnerRef: ref('p003'),
      currency: 'JPY',
    },
  },
];

/** Staff of the named partners (`p002`). */
export const staffOf = (...partners: string[]): BillingScope =>
  staffScope(...partners.map(ref));
