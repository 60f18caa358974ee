import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { isIntegrationEntity } from '@internal/plugin-dezky-catalog-common';
import {
  HealthHistory,
  HistoryOptions,
  IntegrationStatus,
} from '@internal/plugin-health-common';
import { DEFAULT_SERIES_POINTS, HealthStore } from '../database/HealthStore';
import { ProbeSpec, readProbeSpec, runProbe } from '../probes';

/** An Integration entity as the health plugin needs it. */
export interface HealthIntegration {
  /** e.g. integration:default/stalwart (lower case). */
  ref: string;
  title?: string;
  lifecycle: 'production' | 'planned';
  /** Absent when spec.probe is missing or unreadable. */
  probe?: ProbeSpec;
}

const HOUR_MS = 60 * 60 * 1000;
/**
 * A history is summarised at most once per this long per window and number
 * of points (every open Infrastructure page re-reads each card's every 30 s),
 * and again as soon as this instance stores a round.
 */
const HISTORY_CACHE_MS = 10_000;

const lower = (s: string) => s.toLocaleLowerCase('en-US');

const newer = (a?: IntegrationStatus, b?: IntegrationStatus) => {
  if (!a) return b;
  if (!b) return a;
  return (b.checkedAt ?? '') > (a.checkedAt ?? '') ? b : a;
};

/**
 * Probes the catalog's production Integrations (planned ones are listed,
 * never probed), stores every round, and answers status and history
 * (docs/health.md).
 */
export class HealthService {
  private readonly latest = new Map<string, IntegrationStatus>();
  private running?: Promise<IntegrationStatus[]>;
  private lastCompaction = 0;
  private readonly histories = new Map<
    string,
    { until: number; history: Promise<HealthHistory> }
  >();

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      store: HealthStore;
      logger: LoggerService;
      /** For tests. */
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The catalog's Integrations, read with the plugin's service credentials. */
  async integrations(): Promise<HealthIntegration[]> {
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: { kind: 'Integration' },
        fields: [
          'kind',
          'apiVersion',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'spec.lifecycle',
          'spec.probe',
        ],
      },
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    return items
      .filter(isIntegrationEntity)
      .map(entity => {
        const probe = readProbeSpec(entity.spec?.probe);
        return {
          ref: lower(stringifyEntityRef(entity)),
          ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
          lifecycle:
            entity.spec?.lifecycle === 'planned' ? 'planned' : 'production',
          ...(probe ? { probe } : {}),
        } satisfies HealthIntegration;
      })
      .sort((a, b) => (a.ref < b.ref ? -1 : 1));
  }

  /**
   * Probes every production Integration with a probe, in parallel, and
   * stores the round. A round already running in this instance is joined.
   */
  runRound(): Promise<IntegrationStatus[]> {
    if (!this.running) {
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async round(): Promise<IntegrationStatus[]> {
    const integrations = await this.integrations();
    const probed = integrations.filter(
      i => i.lifecycle === 'production' && i.probe,
    );
    const checkedAt = new Date(this.now()).toISOString();
    const { store } = this.deps;
    const results = await Promise.all(
      probed.map(i => runProbe(i.probe!, { pingDatabase: () => store.ping() })),
    );
    const samples = probed.map((i, n) => ({
      integration: i.ref,
      checkedAt,
      ...results[n],
    }));
    await store.insert(samples);
    this.histories.clear();
    for (const s of samples) {
      this.latest.set(s.integration, {
        integration: s.integration,
        status: s.status,
        latencyMs: s.latencyMs,
        checkedAt: s.checkedAt,
        ...(s.error ? { error: s.error } : {}),
      });
    }
    if (this.now() - this.lastCompaction >= HOUR_MS) {
      this.lastCompaction = this.now();
      await this.compact();
    }
    const bad = samples.filter(s => s.status === 'bad');
    if (bad.length) {
      this.deps.logger.debug(
        `Health: ${bad.length} of ${samples.length} bad: ${bad
          .map(s => s.integration)
          .join(', ')}`,
      );
    }
    return this.statusOf(integrations);
  }

  /**
   * Rolls samples past the raw retention up by the hour. A failure is
   * logged and leaves the database as it was (each hour is one
   * transaction); the next round's compaction tries again.
   */
  private async compact(): Promise<void> {
    try {
      const { rolledUp, expired } = await this.deps.store.compact(this.now());
      if (rolledUp || expired) {
        this.deps.logger.info(
          `Health: rolled ${rolledUp} samples up by the hour, deleted ${expired} expired rollups`,
        );
      }
    } catch (error) {
      this.deps.logger.error(
        `Health: compaction failed, will retry after the next round: ${error}`,
      );
      this.lastCompaction = 0;
    }
  }

  /**
   * Every Integration with its latest status: planned ones as planned; the
   * latest result from this instance or the database, whichever is newer
   * (another instance may have run the last round).
   */
  async status(): Promise<IntegrationStatus[]> {
    return this.statusOf(await this.integrations());
  }

  private async statusOf(
    integrations: HealthIntegration[],
  ): Promise<IntegrationStatus[]> {
    const stored = new Map(
      (await this.deps.store.latest()).map(s => [s.integration, s]),
    );
    return integrations.map(i => {
      const base = {
        integration: i.ref,
        ...(i.title ? { title: i.title } : {}),
      };
      if (i.lifecycle === 'planned') {
        return { ...base, status: 'planned' };
      }
      if (!i.probe) {
        return {
          ...base,
          status: 'warn',
          error: 'no probe configured (spec.probe)',
        };
      }
      const last = newer(this.latest.get(i.ref), stored.get(i.ref));
      if (!last) {
        return { ...base, status: 'warn', error: 'not probed yet' };
      }
      return { ...last, ...base };
    });
  }

  /**
   * One Integration's history; undefined if the catalog has no such one.
   * A summary kept from the last 10 s is answered without asking the
   * catalog again.
   */
  async history(
    ref: string,
    chart: HistoryOptions = {},
  ): Promise<HealthHistory | undefined> {
    const key = lower(ref);
    const cacheKey = `${key} ${chart.window ?? '24h'} ${
      chart.points ?? DEFAULT_SERIES_POINTS
    }`;
    const cached = this.histories.get(cacheKey);
    if (cached && cached.until > this.now()) return cached.history;
    const integration = (await this.integrations()).find(i => i.ref === key);
    if (!integration) return undefined;
    for (const [k, entry] of this.histories) {
      if (entry.until <= this.now()) this.histories.delete(k);
    }
    const history = this.deps.store.history(key, this.now(), chart);
    this.histories.set(cacheKey, {
      until: this.now() + HISTORY_CACHE_MS,
      history,
    });
    history.catch(() => {
      if (this.histories.get(cacheKey)?.history === history) {
        this.histories.delete(cacheKey);
      }
    });
    return history;
  }
}
