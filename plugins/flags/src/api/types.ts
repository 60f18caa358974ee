import {
  FlagContext,
  FlagEvaluation,
  FlagScope,
  FlagState,
  FlagType,
} from '@internal/plugin-flags-common';

/** The body of POST /flags. */
export interface NewFlag {
  key: string;
  description: string;
  type?: FlagType;
}

/** The body of PATCH /flags/:key: only the fields that change. */
export interface FlagPatch {
  description?: string;
  type?: FlagType;
  state?: FlagState;
  pct?: number;
  scope?: FlagScope;
  owner?: string;
}

/** The body of POST /preview: a flag's (possibly unsaved) decision rule. */
export interface RolloutPreviewRequest {
  /**
   * The flag the rule is for: a tenant's rollout bucket hashes tenant and
   * key, so the server needs it for a rollout.
   */
  key?: string;
  state: FlagState;
  pct: number;
  scope: FlagScope;
}

/** The answer of POST /preview: how many of the catalog's tenants get `true`. */
export interface RolloutPreview {
  matching: number;
  total: number;
}

/** The answer of GET /tenants/:name: every flag's value for that tenant. */
export interface TenantFlags {
  /** The Tenant entity's metadata.name. */
  tenant: string;
  context: FlagContext;
  flags: FlagEvaluation[];
}

/**
 * One audit event of a flag (GET /flags/:key/history), with the fields the
 * history shows. The full shape is the audit plugin's AuditEvent.
 */
export interface FlagHistoryEvent {
  seq: number;
  /** ISO 8601 time. */
  at: string;
  actor: { type: string; ref?: string; email?: string };
  /** e.g. `flag.created`, `flag.updated`, `flag.killed`, `flag.deleted`. */
  action: string;
  outcome: 'success' | 'failure';
  /** For changes: `{ field: { from, to } }`. */
  metadata?: Record<string, unknown>;
}
