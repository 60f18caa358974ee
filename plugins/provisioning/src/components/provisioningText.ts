/*
 * How the provisioning screens word times, retries, reconcile outcomes and
 * the desired/observed comparison. The generic formats (durations, times,
 * values) come from `plugin-dezky-react`.
 */
import {
  ReconcileResult,
  StepCondition,
  TenantProvisioning,
} from '@internal/plugin-provisioning-common';
import { formatDuration } from '@internal/plugin-dezky-react';

/** "12 s ago", "3 min ago"; "—" without a time. */
export function ago(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '—';
  return `${formatDuration(Math.max(0, now - t))} ago`;
}

/** "next retry in 2 min 10 s"; "retrying now" once the time has come; "" without one. */
export function nextRetry(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '';
  return t <= now ? 'retrying now' : `next retry in ${formatDuration(t - now)}`;
}

/** "in 45 min"; "due now" once the time has come; "—" without a time. */
export function dueIn(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '—';
  return t <= now ? 'due now' : `in ${formatDuration(t - now)}`;
}

/** "torn down in 6 d 4 h"; "torn down now" once the grace period is over; "" without a time. */
export function teardownIn(iso: string | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '';
  return t <= now ? 'torn down now' : `torn down in ${formatDuration(t - now)}`;
}

/** At most `max` characters, the cut marked with "…". */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** What a reconcile on demand says when it answers. */
export const OUTCOME_TEXT: Record<ReconcileResult['outcome'], string> = {
  done: 'Reconciled',
  queued: 'Queued: another instance is working on this tenant',
};

/** True while a step still moves: pending, or in error (retried). */
export function isConverging(step: Pick<StepCondition, 'status'>): boolean {
  return step.status === 'pending' || step.status === 'error';
}

/** The step in error that failed last (its last attempt, else its transition), if any. */
export function lastError(
  tenant: Pick<TenantProvisioning, 'steps'>,
): StepCondition | undefined {
  const when = (s: StepCondition) =>
    Date.parse(s.lastAttemptAt ?? s.lastTransitionTime) || 0;
  return tenant.steps
    .filter(s => s.status === 'error')
    .reduce<StepCondition | undefined>(
      (newest, s) => (!newest || when(s) > when(newest) ? s : newest),
      undefined,
    );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An object's leaves by dotted path (`quota.mailGb`), in key order; arrays
 * and scalars are leaves, an empty object is one too.
 */
export function leaves(
  value: Record<string, unknown> | undefined,
  prefix = '',
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value ?? {})) {
    const path = prefix + key;
    if (isRecord(v) && Object.keys(v).length > 0) {
      for (const [p, leaf] of leaves(v, `${path}.`)) out.set(p, leaf);
    } else {
      out.set(path, v);
    }
  }
  return out;
}

/** One row of desired vs observed: a field, both values, and whether they differ. */
export interface ComparisonRow {
  field: string;
  desired: unknown;
  observed: unknown;
  differs: boolean;
}

/**
 * Desired and observed side by side, a row per leaf of either (desired's
 * order first). A row differs when the server lists its field, or a field
 * above or below it, in `differences`; a listed field with no leaf on
 * either side still gets a row.
 */
export function compare(
  desired: Record<string, unknown> | undefined,
  observed: Record<string, unknown> | undefined,
  differences: readonly string[],
): ComparisonRow[] {
  const want = leaves(desired);
  const have = leaves(observed);
  const fields = [...new Set([...want.keys(), ...have.keys()])];
  const related = (field: string, d: string) =>
    d === field || field.startsWith(`${d}.`) || d.startsWith(`${field}.`);
  return [
    ...fields.map(field => ({
      field,
      desired: want.get(field),
      observed: have.get(field),
      differs: differences.some(d => related(field, d)),
    })),
    ...differences
      .filter(d => !fields.some(field => related(field, d)))
      .map(field => ({
        field,
        desired: undefined,
        observed: undefined,
        differs: true,
      })),
  ];
}
