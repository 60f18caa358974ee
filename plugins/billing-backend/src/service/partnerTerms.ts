import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { normalizeScopeRef } from '@internal/plugin-dezky-node';
import { marginString, PartnerTerms } from './payouts';

/**
 * Every Partner entity's payout terms from the catalog: `spec.marginPct`,
 * `spec.status` and `spec.contract.endDate`.
 */
export function catalogPartnerTerms(deps: {
  catalog: CatalogService;
  auth: AuthService;
}): () => Promise<PartnerTerms[]> {
  return async () => {
    const { items } = await deps.catalog.getEntities(
      { filter: { kind: 'Partner' } },
      { credentials: await deps.auth.getOwnServiceCredentials() },
    );
    return items.map(entity => {
      const spec = (entity.spec ?? {}) as {
        marginPct?: unknown;
        status?: unknown;
        contract?: { endDate?: unknown };
      };
      const margin = marginString(spec.marginPct);
      const end = spec.contract?.endDate;
      return {
        partnerRef: normalizeScopeRef(stringifyEntityRef(entity)),
        ...(margin !== undefined ? { marginPct: margin } : {}),
        ...(typeof spec.status === 'string' ? { status: spec.status } : {}),
        ...(typeof end === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(end)
          ? { contractEndDate: end }
          : {}),
      };
    });
  };
}
