import { createApiRef } from '@backstage/frontend-plugin-api';
import { Flag } from '@internal/plugin-flags-common';
import {
  FlagHistoryEvent,
  FlagPatch,
  NewFlag,
  RolloutPreview,
  RolloutPreviewRequest,
  TenantFlags,
} from './types';

/**
 * The flags backend as the portal uses it. Every method rejects with a
 * `ResponseError` (from `@backstage/errors`) when the server refuses; its
 * `cause.message` is the server's own message (a 400 names the field) and
 * `statusCode` tells a 403 (operators only) from a 409 (key taken).
 */
export interface FlagsApi {
  /** Every flag (GET /flags). */
  listFlags(): Promise<Flag[]>;
  /** One flag (GET /flags/:key). */
  getFlag(key: string): Promise<Flag>;
  /** Creates a flag, off (POST /flags); operators only. */
  createFlag(flag: NewFlag): Promise<Flag>;
  /** Changes the given fields (PATCH /flags/:key); operators only. */
  updateFlag(key: string, patch: FlagPatch): Promise<Flag>;
  /** Deletes a flag (DELETE /flags/:key); operators only. */
  deleteFlag(key: string): Promise<void>;
  /** Turns a flag off for everyone: state off, pct 0 (POST /flags/:key/kill); operators only. */
  killFlag(key: string): Promise<Flag>;
  /** The flag's audit events (GET /flags/:key/history). */
  getHistory(key: string): Promise<FlagHistoryEvent[]>;
  /**
   * How many of the catalog's tenants (those the user may see) a rule turns
   * on, computed by the server with the real rollout hash (POST /preview).
   */
  preview(rule: RolloutPreviewRequest): Promise<RolloutPreview>;
  /** Every flag's value for a tenant, and why (GET /tenants/:name). */
  getTenantFlags(tenant: string): Promise<TenantFlags>;
}

/** The flags API, implemented by {@link FlagsClient}. */
export const flagsApiRef = createApiRef<FlagsApi>().with({
  id: 'plugin.flags.client',
  pluginId: 'flags',
});
