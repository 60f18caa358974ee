import { FlagContext, FlagEvaluation } from '@internal/plugin-flags-common';

/**
 * Evaluates the stored flags for a tenant context (docs/flags.md). Built by
 * the flags plugin and handed to the routers (the API and OFREP).
 */
export interface FlagEvaluator {
  /**
   * Every flag's value for the context, ordered by key. `atVersion`: a
   * version the caller has just read with version() (e.g. for an ETag), so
   * that it is not read a second time.
   */
  evaluateAll(ctx: FlagContext, atVersion?: string): Promise<FlagEvaluation[]>;
  /** One flag's value for the context; undefined when the flag does not exist. */
  evaluateOne(
    key: string,
    ctx: FlagContext,
  ): Promise<FlagEvaluation | undefined>;
  /**
   * The flag set's current version, bumped by every mutation; use it as an
   * ETag. Opaque string.
   */
  version(): Promise<string>;
  /**
   * The evaluation context of a tenant by its metadata.name: plan and partner
   * from the catalog's Tenant entity (catalog values win), the environment
   * from config `flags.environment`. An unknown tenant uses the fallback's
   * plan and partner (or none).
   */
  contextFor(
    tenantName: string,
    fallback?: { plan?: string; partner?: string },
  ): Promise<FlagContext>;
}
