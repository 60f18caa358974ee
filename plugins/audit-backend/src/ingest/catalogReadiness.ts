import { AuthService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';

/**
 * Whether the catalog has its tenants yet. At start-up the catalog ingests
 * catalog/ for some seconds; an external event recorded before then cannot be
 * attributed to its tenant and partner — and the chain is append-only, so
 * its partner's staff would never see it. The ingests wait for this.
 */
export interface CatalogReadiness {
  /** True once the catalog holds a Tenant, or the start-up grace has passed. */
  isReady(): Promise<boolean>;
  /** Resolves when {@link CatalogReadiness.isReady} would be true. */
  whenReady(): Promise<void>;
  /** Throws a 503 (the sender retries) unless ready. */
  assertReady(): Promise<void>;
}

/**
 * Asks the catalog (with the plugin's own credentials, one entity at most)
 * until it holds a Tenant; after `graceMs` (default 5 minutes) from creation
 * it is ready regardless, so a portal without tenants still ingests. Once
 * ready it stays ready and asks nothing more.
 */
export function catalogReadiness(options: {
  catalog: CatalogService;
  auth: AuthService;
  graceMs?: number;
  pollMs?: number;
  now?: () => number;
}): CatalogReadiness {
  const { catalog, auth, graceMs = 300_000, pollMs = 1_000 } = options;
  const now = options.now ?? Date.now;
  const started = now();
  let ready = false;

  const isReady = async () => {
    if (ready) return true;
    if (now() - started >= graceMs) {
      ready = true;
      return true;
    }
    const { items } = await catalog.getEntities(
      { filter: { kind: 'Tenant' }, limit: 1, fields: ['kind'] },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    ready = items.length > 0;
    return ready;
  };

  return {
    isReady,
    async whenReady() {
      while (!(await isReady())) {
        await new Promise(resolve => setTimeout(resolve, pollMs));
      }
    },
    async assertReady() {
      if (!(await isReady())) {
        throw new ServiceUnavailableError(
          'The catalog is still loading its tenants: deliver again shortly',
        );
      }
    },
  };
}
