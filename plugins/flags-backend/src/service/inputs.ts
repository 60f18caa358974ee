import { InputError } from '@backstage/errors';
import { FlagScope, FlagState, FlagType } from '@internal/plugin-flags-common';

/**
 * A new flag, as FlagService.create takes it: validated, with the defaults
 * applied (the router's zod schema produces it from the request body).
 */
export interface CreateFlagInput {
  key: string;
  description: string;
  type: FlagType;
  state: FlagState;
  pct: number;
  /** The lists given; absent ones are empty. */
  scope: Partial<FlagScope>;
  owner?: string;
}

/** A change to a flag: the fields given replace the flag's. */
export interface PatchFlagInput {
  description?: string;
  type?: FlagType;
  state?: FlagState;
  pct?: number;
  /** The lists given replace the flag's; absent ones are kept. */
  scope?: Partial<FlagScope>;
  /** null removes the owner. */
  owner?: string | null;
}

/** A flag's state, pct and scope to preview (FlagService.preview). */
export interface PreviewInput {
  /** The flag whose rollout is previewed: the bucket depends on it. */
  key?: string;
  state: FlagState;
  pct: number;
  scope: Partial<FlagScope>;
}

/** A percentage other than 0 is only for rollouts. */
export function checkPct(state: string, value: number): void {
  if (state !== 'rollout' && value !== 0) {
    throw new InputError(
      `pct: must be 0 unless state is rollout (state is ${state})`,
    );
  }
}
