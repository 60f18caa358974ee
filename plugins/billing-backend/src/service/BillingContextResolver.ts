import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { BillingCycle } from '@internal/plugin-billing-common';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { PriceStore } from '../database/PriceStore';
import { BillingContext } from './tenantBilling';

type BillingSpec = { billing?: { currency?: string } };

/**
 * What billing a tenant takes, read now: its currency (its partner's
 * `spec.billing.currency`; a direct tenant's own `spec.billing`), the
 * cycle (config `billing.defaultCycle`), and the price of its plan.
 */
export class BillingContextResolver {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      prices: Pick<PriceStore, 'find'>;
      cycle: BillingCycle;
    },
  ) {}

  async resolve(event: LifecycleEvent): Promise<BillingContext> {
    const { catalog, auth, prices, cycle } = this.deps;
    const credentials = await auth.getOwnServiceCredentials();
    const owner = event.partnerRef ?? event.tenantRef;
    const entity = await catalog.getEntityByRef(owner, { credentials });
    const billing = (entity?.spec as BillingSpec | undefined)?.billing;
    const missingDetails = !event.partnerRef && !billing;
    const currency = billing?.currency;
    const price = currency
      ? await prices.find(event.plan, currency, cycle)
      : undefined;
    return {
      ...(currency ? { currency } : {}),
      missingDetails,
      cycle,
      ...(price ? { price } : {}),
    };
  }
}
