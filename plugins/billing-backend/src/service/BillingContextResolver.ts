import { AuthService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
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
      stripeConnected?: boolean;
    },
  ) {}

  /**
   * `cache`: entities read during one pass over many tenants (the billing
   * reconcile), so a partner is read once per pass, not once per tenant.
   */
  async resolve(
    event: LifecycleEvent,
    cache?: Map<string, Promise<Entity | undefined>>,
  ): Promise<BillingContext> {
    const { catalog, auth, prices, cycle } = this.deps;
    const owner = event.partnerRef ?? event.tenantRef;
    let read = cache?.get(owner);
    if (!read) {
      read = auth
        .getOwnServiceCredentials()
        .then(credentials => catalog.getEntityByRef(owner, { credentials }));
      cache?.set(owner, read);
    }
    const entity = await read;
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
      ...(this.deps.stripeConnected ? { stripeConnected: true } : {}),
    };
  }
}
