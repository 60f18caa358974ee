import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  HealthHistory,
  HistoryOptions,
  IntegrationStatus,
} from '@internal/plugin-health-common';

/**
 * The health backend as the portal uses it. Every method rejects with a
 * `ResponseError` (from `@backstage/errors`) when the server refuses.
 */
export interface HealthApi {
  /** Every Integration's latest status (GET /status). */
  getStatus(): Promise<IntegrationStatus[]>;
  /** Runs a probe round now (POST /probe); operators only (403 otherwise). */
  probe(): Promise<IntegrationStatus[]>;
  /** One Integration's history by entity ref (GET /integrations/:namespace/:name/history). */
  getHistory(
    integrationRef: string,
    options?: HistoryOptions,
  ): Promise<HealthHistory>;
}

/** The health API, implemented by {@link HealthClient}. */
export const healthApiRef = createApiRef<HealthApi>().with({
  id: 'plugin.health.client',
  pluginId: 'health',
});
