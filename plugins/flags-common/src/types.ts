/** What a flag is for. */
export const FLAG_TYPES = [
  'release',
  'operational',
  'kill-switch',
  'experiment',
] as const;
export type FlagType = (typeof FLAG_TYPES)[number];

/** How a flag decides (see evaluateFlag). */
export const FLAG_STATES = ['off', 'on', 'targeted', 'rollout'] as const;
export type FlagState = (typeof FLAG_STATES)[number];

/**
 * Who a flag applies to. Values are catalog names: a plan name, a Tenant's
 * `metadata.name`, a Partner's `metadata.name`, an environment name.
 */
export interface FlagScope {
  plans: string[];
  tenants: string[];
  partners: string[];
  environments: string[];
}

/** A feature flag as stored and served by GET /api/flags/flags. */
export interface Flag {
  /** Slug: lower case letters, digits, `_` and `-`, 1–64 characters. */
  key: string;
  description: string;
  type: FlagType;
  state: FlagState;
  /** Rollout percentage, 0–100 with at most two decimals; 0 unless state is rollout. */
  pct: number;
  scope: FlagScope;
  /** Entity ref of the owning user or group, e.g. group:default/dezky-platform-admins. */
  owner?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * Only in answers to partner staff, when the scope names tenants or
   * partners that are not theirs: how many were left out of `scope`. Staff
   * never see the names of another partner's tenants or partners.
   */
  hidden?: FlagHiddenScope;
}

/** What a partner-staff view of a flag left out of its scope. */
export interface FlagHiddenScope {
  /** Tenants of other partners (or not in the catalog) in `scope.tenants`. */
  tenants: number;
  /** Other partners (or names not in the catalog) in `scope.partners`. */
  partners: number;
}

/** The tenant a flag is evaluated for. */
export interface FlagContext {
  /** The Tenant entity's metadata.name. */
  tenant: string;
  /** The tenant's plan (spec.plan). */
  plan?: string;
  /** The tenant's partner's metadata.name; absent for direct customers. */
  partner?: string;
  /** The environment the portal runs in (config `flags.environment`). */
  environment: string;
}

/** Why a flag has its value for a tenant. */
export type FlagReason =
  | 'off'
  | 'on'
  | 'targeted-no-scope'
  | 'targeted-match'
  | 'targeted-no-match'
  | 'rollout-scope-mismatch'
  | 'rollout-in'
  | 'rollout-out';

/** A flag's value for a tenant, and why. */
export interface FlagEvaluation {
  key: string;
  value: boolean;
  reason: FlagReason;
  /** The tenant's bucket (0–9999) for this flag, for rollouts. */
  bucket?: number;
}
