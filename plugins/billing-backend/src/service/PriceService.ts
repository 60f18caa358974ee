import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { auditActorOf, AuditTrailService } from '@internal/plugin-audit-node';
import {
  BILLING_CYCLES,
  formatMoney,
  isCurrency,
  MAX_PER_SEAT_MINOR,
  NewPrice,
  Price,
  PriceDetail,
  PriceImpact,
} from '@internal/plugin-billing-common';
import { PriceFilter, PriceStore } from '../database/PriceStore';
import { RepricingStore } from '../database/RepricingStore';
import { Repricer } from './Repricer';

/**
 * The price catalog: list, read, create, edit. Every change is audited
 * (`billing.price.created`, `billing.price.updated`) with the amounts. An
 * edit of the amount makes a new version and moves every live subscription
 * on the row onto it (the {@link Repricer}: a new Stripe price, the old one
 * archived, an outcome per subscription).
 */
export class PriceService {
  constructor(
    private readonly deps: {
      store: PriceStore;
      trail: AuditTrailService;
      repricer: Pick<Repricer, 'impact' | 'afterEdit'>;
      outcomes: Pick<RepricingStore, 'forPrice'>;
      now?: () => Date;
    },
  ) {}

  private now() {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /**
   * Fills an empty catalog with these prices (config `billing.seedPrices`),
   * audited as the plugin's; a catalog with any price is left alone. Throws
   * naming the first bad entry.
   */
  async seed(prices: NewPrice[]): Promise<number> {
    prices.forEach((p, i) => {
      const bad = seedProblem(p);
      if (bad) throw new Error(`billing.seedPrices[${i}]: ${bad}`);
    });
    if (prices.length === 0 || !(await this.deps.store.isEmpty())) return 0;
    const credentials = {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'service', subject: 'plugin:billing' },
    } as BackstageCredentials;
    let seeded = 0;
    for (const p of prices) {
      const price = await this.deps.store.create(p, undefined, this.now());
      if (!price) continue; // another instance seeded it meanwhile
      seeded += 1;
      await this.audit(credentials, 'billing.price.created', price, {
        perSeatAmount: price.perSeatAmount,
        amount: formatMoney({
          amount: price.perSeatAmount,
          currency: price.currency,
        }),
        seeded: true,
      });
    }
    return seeded;
  }

  list(filter: PriceFilter): Promise<Price[]> {
    return this.deps.store.list(filter);
  }

  async get(id: string): Promise<PriceDetail> {
    const price = await this.deps.store.get(id);
    if (!price) throw new NotFoundError(`No price ${id}`);
    return { ...price, repricing: await this.deps.outcomes.forPrice(id) };
  }

  /** What an edit of the amount would move, and the MRR change, per currency. */
  async impact(id: string, perSeatAmount: number): Promise<PriceImpact> {
    const price = await this.deps.store.get(id);
    if (!price) throw new NotFoundError(`No price ${id}`);
    return this.deps.repricer.impact(price, perSeatAmount);
  }

  async create(
    input: NewPrice,
    credentials: BackstageCredentials,
  ): Promise<Price> {
    const by = userRef(credentials);
    const price = await this.deps.store.create(input, by, this.now());
    if (!price) {
      throw new ConflictError(
        `${input.plan} already has a ${input.cycle} price in ${input.currency}: edit that one`,
      );
    }
    await this.audit(credentials, 'billing.price.created', price, {
      perSeatAmount: price.perSeatAmount,
      amount: formatMoney({
        amount: price.perSeatAmount,
        currency: price.currency,
      }),
    });
    return price;
  }

  /**
   * A new per-seat amount: a new version of the row. `expectedVersion`
   * (the version the editor saw) guards against a concurrent edit (409).
   */
  async updateAmount(
    id: string,
    perSeatAmount: number,
    expectedVersion: number,
    credentials: BackstageCredentials,
  ): Promise<PriceDetail> {
    const outcome = await this.deps.store.updateAmount(
      id,
      perSeatAmount,
      expectedVersion,
      userRef(credentials),
      this.now(),
    );
    if (!outcome) throw new NotFoundError(`No price ${id}`);
    if (outcome === 'conflict') {
      throw new ConflictError(
        `price ${id} was changed meanwhile (it is no longer version ${expectedVersion}): reload it`,
      );
    }
    const { updated, previous } = outcome;
    await this.audit(credentials, 'billing.price.updated', updated, {
      version: updated.version,
      perSeatAmount: updated.perSeatAmount,
      previousPerSeatAmount: previous.perSeatAmount,
      amount: formatMoney({
        amount: updated.perSeatAmount,
        currency: updated.currency,
      }),
      previousAmount: formatMoney({
        amount: previous.perSeatAmount,
        currency: previous.currency,
      }),
    });
    // the edit stands; the moves are recorded per subscription, and failed
    // ones are tried again by the billing reconcile
    await this.deps.repricer.afterEdit(previous, updated);
    return this.get(id);
  }

  private async audit(
    credentials: BackstageCredentials,
    action: string,
    price: Price,
    metadata: Record<string, unknown>,
  ) {
    await this.deps.trail.record([
      {
        at: this.now(),
        actor: auditActorOf(credentials),
        action,
        outcome: 'success',
        resource: {
          type: 'billing-price',
          ref: price.id,
          name: `${price.plan} ${price.currency} ${price.cycle}`,
        },
        source: 'portal',
        metadata: {
          plan: price.plan,
          currency: price.currency,
          cycle: price.cycle,
          ...metadata,
        },
      },
    ]);
  }
}

/** What is wrong with a seeded price, if anything. */
function seedProblem(p: NewPrice): string | undefined {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(p.plan ?? '')) {
    return `plan: must be a plan key (got ${JSON.stringify(p.plan)})`;
  }
  if (!isCurrency(p.currency ?? '')) {
    return `currency: must be an ISO 4217 code in upper case (got ${JSON.stringify(
      p.currency,
    )})`;
  }
  if (!BILLING_CYCLES.includes(p.cycle)) {
    return `cycle: must be one of ${BILLING_CYCLES.join(
      ', ',
    )} (got ${JSON.stringify(p.cycle)})`;
  }
  if (
    !Number.isSafeInteger(p.perSeatAmount) ||
    p.perSeatAmount < 0 ||
    p.perSeatAmount > MAX_PER_SEAT_MINOR
  ) {
    return `perSeatAmount: must be a whole number of minor units from 0 to ${MAX_PER_SEAT_MINOR} (got ${p.perSeatAmount})`;
  }
  return undefined;
}

function userRef(credentials: BackstageCredentials): string | undefined {
  return (credentials.principal as { userEntityRef?: string }).userEntityRef;
}
