import {
  Flag,
  FlagEvaluation,
  FlagHiddenScope,
  FlagScope,
  FlagState,
  FlagType,
} from '@internal/plugin-flags-common';
import { errorMessage, FlagPatch, isNotAllowed } from '../api';

/** What a flag key may be: lower case letters, digits, `_` and `-`, 1–64 characters. */
export const KEY_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** The scope axes in the order the UI shows them. */
export const SCOPE_AXES: ReadonlyArray<{
  axis: keyof FlagScope;
  label: string;
}> = [
  { axis: 'plans', label: 'Plans' },
  { axis: 'tenants', label: 'Tenants' },
  { axis: 'partners', label: 'Partners' },
  { axis: 'environments', label: 'Environments' },
];

/** True when the state decides by the scope (targeted, rollout). */
export function usesScope(state: FlagState): boolean {
  return state === 'targeted' || state === 'rollout';
}

/** A percentage clamped to 0–100 and rounded to two decimals. */
export function roundPct(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const clamped = Math.min(100, Math.max(0, value));
  return Math.round(clamped * 100) / 100;
}

/** `25 %`, `12.5 %`, `0.01 %`. */
export function formatPct(pct: number): string {
  return `${roundPct(pct)} %`;
}

/** The bucket threshold of a percentage: a tenant whose bucket is below it is in. */
export function rolloutThreshold(pct: number): number {
  return Math.round(pct * 100);
}

/** A scope with every axis present (older or partial answers may lack one). */
export function normalizeScope(
  scope: Partial<FlagScope> | undefined,
): FlagScope {
  return {
    plans: [...(scope?.plans ?? [])],
    tenants: [...(scope?.tenants ?? [])],
    partners: [...(scope?.partners ?? [])],
    environments: [...(scope?.environments ?? [])],
  };
}

/**
 * The table's one-line scope: plans and environments by name, tenants and
 * partners by count (`plans: business · tenants: 2`), counting those a
 * partner-staff view leaves out (`hidden`). Where the state ignores the
 * scope, a dash; an empty scope is everyone for a rollout and nobody for a
 * targeted flag.
 */
export function scopeSummary(
  scope: Partial<FlagScope> | undefined,
  state: FlagState,
  hidden?: FlagHiddenScope,
): string {
  if (!usesScope(state)) return '—';
  const s = normalizeScope(scope);
  const tenants = s.tenants.length + (hidden?.tenants ?? 0);
  const partners = s.partners.length + (hidden?.partners ?? 0);
  const parts: string[] = [];
  if (s.plans.length) parts.push(`plans: ${s.plans.join(', ')}`);
  if (tenants) parts.push(`tenants: ${tenants}`);
  if (partners) parts.push(`partners: ${partners}`);
  if (s.environments.length) {
    parts.push(`environments: ${s.environments.join(', ')}`);
  }
  if (parts.length === 0) {
    return state === 'targeted' ? 'nobody (no scope)' : 'all tenants';
  }
  return parts.join(' · ');
}

/**
 * What a partner-staff view of a scope leaves out, in words:
 * `+2 other tenants and +1 other partner`; empty when nothing is.
 */
export function hiddenScopeText(hidden?: FlagHiddenScope): string {
  if (!hidden) return '';
  const plural = (n: number, one: string) =>
    `+${n} other ${one}${n === 1 ? '' : 's'}`;
  return [
    hidden.tenants ? plural(hidden.tenants, 'tenant') : '',
    hidden.partners ? plural(hidden.partners, 'partner') : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

/** What the panel edits. */
export interface FlagDraft {
  description: string;
  type: FlagType;
  state: FlagState;
  pct: number;
  scope: FlagScope;
}

export function draftOf(flag: Flag): FlagDraft {
  return {
    description: flag.description ?? '',
    type: flag.type,
    state: flag.state,
    pct: flag.pct ?? 0,
    scope: normalizeScope(flag.scope),
  };
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every(v => set.has(v));
}

/** True when both scopes hold the same values on every axis, in any order. */
export function sameScope(a: FlagScope, b: FlagScope): boolean {
  return SCOPE_AXES.every(({ axis }) => sameList(a[axis], b[axis]));
}

/**
 * The PATCH body for a draft: only the fields that differ from the flag.
 * The percentage counts only for a rollout and the scope only where the
 * state uses it, so edits hidden by a state change are not sent.
 */
export function flagPatch(flag: Flag, draft: FlagDraft): FlagPatch {
  const saved = draftOf(flag);
  const patch: FlagPatch = {};
  if (draft.description !== saved.description) {
    patch.description = draft.description;
  }
  if (draft.type !== saved.type) patch.type = draft.type;
  if (draft.state !== saved.state) patch.state = draft.state;
  if (draft.state === 'rollout' && draft.pct !== saved.pct) {
    patch.pct = draft.pct;
  }
  if (usesScope(draft.state) && !sameScope(draft.scope, saved.scope)) {
    patch.scope = normalizeScope(draft.scope);
  }
  return patch;
}

/** Why a flag has its value for a tenant, in words. */
export function reasonText(evaluation: FlagEvaluation, pct?: number): string {
  const threshold = pct === undefined ? undefined : rolloutThreshold(pct);
  const bucket = evaluation.bucket;
  switch (evaluation.reason) {
    case 'off':
      return 'off';
    case 'on':
      return 'on for every tenant';
    case 'targeted-no-scope':
      return 'targeted: no scope set, so nobody';
    case 'targeted-match':
      return 'targeted: in scope';
    case 'targeted-no-match':
      return 'targeted: not in scope';
    case 'rollout-scope-mismatch':
      return 'rollout: not in scope';
    case 'rollout-in':
      if (bucket === undefined) return 'rollout: in';
      return threshold === undefined
        ? `rollout: bucket ${bucket} → in`
        : `rollout: bucket ${bucket} < ${threshold} → in`;
    case 'rollout-out':
      if (bucket === undefined) return 'rollout: out';
      return threshold === undefined
        ? `rollout: bucket ${bucket} → out`
        : `rollout: bucket ${bucket} ≥ ${threshold} → out`;
    default:
      return String(evaluation.reason);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A diff value in a line: scopes summarised, lists joined, the rest as JSON. */
export function formatChangeValue(field: string, value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number') {
    return field === 'pct' ? formatPct(value) : String(value);
  }
  if (Array.isArray(value)) {
    return value.length ? value.map(v => String(v)).join(', ') : '(none)';
  }
  if (field === 'scope' && isRecord(value)) {
    const s = normalizeScope(value as Partial<FlagScope>);
    const parts = SCOPE_AXES.filter(({ axis }) => s[axis].length).map(
      ({ axis }) => `${axis}: ${s[axis].join(', ')}`,
    );
    return parts.length ? parts.join(' · ') : '(empty)';
  }
  return JSON.stringify(value);
}

/** Adds a free-typed value to a list: trimmed, no blanks, no duplicates. */
export function cleanValues(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = v.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/** What to say when a change is refused; a 403 says who may change flags. */
export function changeErrorText(error: unknown): string {
  const message = errorMessage(error);
  return isNotAllowed(error)
    ? `Only platform operators can change flags (${message}).`
    : message;
}
