import { mockServices } from '@backstage/backend-test-utils';
// a test-only, seeded random source (the repo's one)
import { dezkyTestDatabases, seededRandom } from '@internal/dezky-test-utils';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { BillingRecord } from '../service/tenantBilling';
import { InvoiceStore } from './InvoiceStore';
import { PriceStore } from './PriceStore';
import { StripeEventInput, StripeEventStore } from './StripeEventStore';
import { TenantBillingStore } from './TenantBillingStore';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const NOW = '2026-12-08T10:00:00.000Z';
const LATER = '2026-12-08T11:00:00.000Z';
const T0 = 1_800_000_000;

const record = (name: string, partner?: string): BillingRecord => ({
  tenant: name,
  tenantRef: `tenant:default/${name}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats: 10,
  lifecycle: 'active',
  activated: true,
  currency: 'EUR',
  cycle: 'monthly',
  priceId: 'p',
  priceVersion: 1,
  perSeatAmount: 800,
  status: 'active',
  mrr: 8000,
  pausedMrr: 0,
  condition: { kind: 'in-sync', message: 'ok', since: NOW },
  updatedAt: NOW,
});

let seq = 0;
const lifecycle = (r: BillingRecord): LifecycleEvent => ({
  id: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
  seq,
  type: 'activated',
  tenantRef: r.tenantRef,
  at: NOW,
  status: 'active',
  plan: r.plan,
  seats: r.seats,
});

let evt = 0;
const event = (
  type: string,
  created: number,
  object: object,
): StripeEventInput => ({
  id: `evt_${++evt}`,
  type,
  created,
  data: { object },
});

const invoice = (extra: object = {}) => ({
  id: 'in_1',
  object: 'invoice',
  customer: 'cus_acme',
  status: 'draft',
  currency: 'eur',
  total: 8000,
  amount_due: 8000,
  amount_paid: 0,
  amount_remaining: 8000,
  created: T0,
  period_start: T0,
  period_end: T0,
  due_date: T0 + 14 * 86400,
  number: null,
  hosted_invoice_url: null,
  invoice_pdf: null,
  billing_reason: 'subscription_create',
  parent: {
    type: 'subscription_details',
    subscription_details: { subscription: 'sub_acme', metadata: {} },
  },
  ...extra,
});
const finalized = {
  status: 'open',
  number: 'ACME-0001',
  hosted_invoice_url: 'http://stripe.test/invoice/in_1',
  invoice_pdf: 'http://stripe.test/invoice/in_1/pdf',
};
const paid = {
  ...finalized,
  status: 'paid',
  amount_paid: 8000,
  amount_remaining: 0,
};

const subscription = (extra: object = {}, item: object = {}) => ({
  id: 'sub_acme',
  object: 'subscription',
  customer: 'cus_acme',
  status: 'active',
  pause_collection: null,
  metadata: { tenant: 'tenant:default/acme' },
  items: {
    object: 'list',
    data: [
      {
        id: 'si_acme',
        price: { id: 'price_eur_800' },
        quantity: 10,
        current_period_start: T0,
        current_period_end: T0 + 30 * 86400,
        ...item,
      },
    ],
  },
  ...extra,
});

describe.each(databases.eachSupportedId())('StripeEventStore on %p', id => {
  let knex: Knex;
  let store: StripeEventStore;
  let invoices: InvoiceStore;
  let tenants: TenantBillingStore;

  const addTenant = async (
    name: string,
    partner?: string,
    customer: string | null = `cus_${name}`,
  ) => {
    const r = record(name, partner);
    await tenants.applyEvent(lifecycle(r), () => r, NOW);
    await knex('billing_tenants')
      .where({ tenant_ref: r.tenantRef })
      .update({ stripe_customer_id: customer });
    return r;
  };
  const tenantRow = (name: string) =>
    knex('billing_tenants')
      .where({ tenant_ref: `tenant:default/${name}` })
      .first();
  const eventRow = (eventId: string) =>
    knex('billing_stripe_events').where({ id: eventId }).first();
  const count = async (table: string) =>
    Number(
      (
        (await knex(table).count({ n: '*' })) as Array<{ n: number | string }>
      )[0].n,
    );

  beforeEach(async () => {
    knex = await databases.init(id);
    await PriceStore.create({ database: mockServices.database({ knex }) });
    tenants = new TenantBillingStore(knex);
    store = new StripeEventStore(knex);
    invoices = new InvoiceStore(knex);
  });

  it('records an event once by its id: a repeat changes nothing', async () => {
    await addTenant('acme', 'nord');
    const created = event('invoice.created', T0, invoice());
    const first = await store.receive(created, NOW);
    expect(first).toMatchObject({ outcome: 'applied' });
    const before = await invoices.list({ limit: 10, offset: 0 });
    const changed = event('invoice.created', T0, invoice({ total: 1 }));
    expect(await store.receive({ ...changed, id: created.id }, LATER)).toBe(
      'duplicate',
    );
    expect(await invoices.list({ limit: 10, offset: 0 })).toEqual(before);
    expect(await count('billing_stripe_events')).toBe(1);
    expect(await eventRow(created.id)).toMatchObject({
      type: 'invoice.created',
      object_id: 'in_1',
      tenant_ref: 'tenant:default/acme',
      partner_ref: 'partner:default/nord',
      received_at: NOW,
      outcome: 'applied',
    });
  });

  it('lets two concurrent deliveries of one event apply it once', async () => {
    await addTenant('acme');
    const e = event('invoice.created', T0, invoice());
    const results = await Promise.all([
      store.receive(e, NOW),
      store.receive(e, NOW),
    ]);
    expect(results.filter(r => r === 'duplicate')).toHaveLength(1);
    expect(await count('billing_stripe_events')).toBe(1);
  });

  it('mirrors an invoice: upper-case currency, ISO dates, tenant and partner copied', async () => {
    await addTenant('acme', 'nord');
    await store.receive(event('invoice.created', T0, invoice()), NOW);
    await store.receive(
      event('invoice.finalized', T0 + 3600, invoice(finalized)),
      LATER,
    );
    const { items, total } = await invoices.list({
      tenantRef: 'tenant:default/acme',
      limit: 10,
      offset: 0,
    });
    expect(total).toBe(1);
    expect(items[0]).toEqual({
      id: 'in_1',
      tenant: 'acme',
      tenantRef: 'tenant:default/acme',
      partnerRef: 'partner:default/nord',
      customerId: 'cus_acme',
      subscriptionId: 'sub_acme',
      number: 'ACME-0001',
      status: 'open',
      currency: 'EUR',
      total: 8000,
      amountDue: 8000,
      amountPaid: 0,
      amountRemaining: 8000,
      periodStart: '2027-01-15T08:00:00.000Z',
      periodEnd: '2027-01-15T08:00:00.000Z',
      dueDate: '2027-01-29T08:00:00.000Z',
      hostedInvoiceUrl: 'http://stripe.test/invoice/in_1',
      invoicePdf: 'http://stripe.test/invoice/in_1/pdf',
      billingReason: 'subscription_create',
      createdAt: '2027-01-15T08:00:00.000Z',
      updatedAt: LATER,
    });
  });

  it('leaves an invoice paid when invoice.paid arrives before its invoice.finalized and invoice.created', async () => {
    await addTenant('acme');
    const created = event('invoice.created', T0, invoice());
    const fin = event('invoice.finalized', T0 + 3600, invoice(finalized));
    const pay = event('invoice.paid', T0 + 7200, invoice(paid));
    expect(await store.receive(pay, NOW)).toMatchObject({
      outcome: 'applied',
    });
    expect(await store.receive(fin, NOW)).toMatchObject({ outcome: 'stale' });
    expect(await store.receive(created, NOW)).toMatchObject({
      outcome: 'stale',
    });
    const [inv] = (await invoices.list({ limit: 10, offset: 0 })).items;
    expect(inv).toMatchObject({
      status: 'paid',
      number: 'ACME-0001',
      amountPaid: 8000,
      amountRemaining: 0,
    });
    expect((await eventRow(fin.id)).message).toMatch(
      /invoice ACME-0001 is paid .*this open state is older/,
    );
    // the row remembers the newest event applied
    const row = await knex('billing_invoices').where({ id: 'in_1' }).first();
    expect(Number(row.event_at)).toBe(T0 + 7200);
  });

  it('lets uncollectible move on to paid, and keeps paid final', async () => {
    await addTenant('acme');
    await store.receive(
      event(
        'invoice.marked_uncollectible',
        T0 + 10,
        invoice({ ...finalized, status: 'uncollectible' }),
      ),
      NOW,
    );
    await store.receive(event('invoice.paid', T0 + 20, invoice(paid)), NOW);
    expect(
      await store.receive(
        event('invoice.voided', T0 + 30, invoice({ status: 'void' })),
        NOW,
      ),
    ).toMatchObject({ outcome: 'stale' });
    const [inv] = (await invoices.list({ limit: 10, offset: 0 })).items;
    expect(inv.status).toBe('paid');
  });

  it('flags the tenant when a payment fails and clears it when that invoice is paid', async () => {
    await addTenant('acme');
    await store.receive(
      event('invoice.finalized', T0, invoice(finalized)),
      NOW,
    );
    const failed = await store.receive(
      event(
        'invoice.payment_failed',
        T0 + 60,
        invoice({ ...finalized, attempt_count: 1 }),
      ),
      NOW,
    );
    expect(failed).toMatchObject({
      outcome: 'applied',
      paymentFailed: 'set',
    });
    expect(await tenantRow('acme')).toMatchObject({
      payment_failed_invoice: 'in_1',
      condition_kind: 'payment-failed',
      condition_message: 'Payment of invoice ACME-0001 failed',
      condition_since: NOW,
    });
    // a second failure keeps the time the condition began
    await store.receive(
      event('invoice.payment_failed', T0 + 120, invoice(finalized)),
      LATER,
    );
    expect((await tenantRow('acme')).condition_since).toBe(NOW);

    const settled = await store.receive(
      event('invoice.paid', T0 + 180, invoice(paid)),
      LATER,
    );
    expect(settled).toMatchObject({
      outcome: 'applied',
      paymentFailed: 'cleared',
    });
    expect(await tenantRow('acme')).toMatchObject({
      payment_failed_invoice: null,
      condition_kind: 'in-sync',
      condition_message: 'in sync with Stripe',
      condition_since: LATER,
    });
    // a failure delivered after the invoice was paid flags nothing
    expect(
      await store.receive(
        event('invoice.payment_failed', T0 + 150, invoice(finalized)),
        LATER,
      ),
    ).toMatchObject({ outcome: 'stale' });
    expect((await tenantRow('acme')).condition_kind).toBe('in-sync');
  });

  it('flags a failed payment delivered after a newer update of the same open invoice', async () => {
    await addTenant('acme');
    await store.receive(
      event('invoice.updated', T0 + 200, invoice(finalized)),
      NOW,
    );
    expect(
      await store.receive(
        event('invoice.payment_failed', T0 + 100, invoice(finalized)),
        NOW,
      ),
    ).toMatchObject({ outcome: 'applied', paymentFailed: 'set' });
    expect((await tenantRow('acme')).condition_kind).toBe('payment-failed');
  });

  it('clears the flag when the failed invoice is voided, keeping another condition', async () => {
    await addTenant('acme');
    await store.receive(
      event('invoice.payment_failed', T0, invoice(finalized)),
      NOW,
    );
    await knex('billing_tenants')
      .where({ tenant_ref: 'tenant:default/acme' })
      .update({ condition_kind: 'out-of-sync', condition_message: 'x' });
    await store.receive(
      event('invoice.voided', T0 + 1, invoice({ status: 'void' })),
      LATER,
    );
    expect(await tenantRow('acme')).toMatchObject({
      payment_failed_invoice: null,
      condition_kind: 'out-of-sync',
    });
  });

  it('finds the tenant by metadata.tenant while it has no customer yet, and ignores what belongs to no tenant', async () => {
    await addTenant('acme', undefined, null);
    await addTenant('other', undefined, 'cus_other');
    const withMeta = invoice({
      customer: 'cus_new',
      parent: {
        subscription_details: {
          subscription: 'sub_new',
          metadata: { tenant: 'tenant:default/acme' },
        },
      },
    });
    expect(
      await store.receive(event('invoice.created', T0, withMeta), NOW),
    ).toMatchObject({
      outcome: 'applied',
      tenant: { tenantRef: 'tenant:default/acme' },
    });
    const unknown = event(
      'invoice.created',
      T0,
      invoice({ id: 'in_2', customer: 'cus_nobody' }),
    );
    expect(await store.receive(unknown, NOW)).toMatchObject({
      outcome: 'ignored',
    });
    expect((await eventRow(unknown.id)).message).toBe(
      'no tenant has Stripe customer cus_nobody (and metadata.tenant is not set)',
    );
    // metadata naming a tenant that has another customer
    const foreign = event(
      'invoice.created',
      T0,
      invoice({
        id: 'in_3',
        customer: 'cus_x',
        parent: {
          subscription_details: {
            subscription: 'sub_x',
            metadata: { tenant: 'tenant:default/other' },
          },
        },
      }),
    );
    expect(await store.receive(foreign, NOW)).toMatchObject({
      outcome: 'ignored',
      message:
        'tenant:default/other (metadata.tenant) has Stripe customer cus_other, not cus_x',
    });
    const other = event('customer.created', T0, { id: 'cus_1' });
    expect(await store.receive(other, NOW)).toMatchObject({
      outcome: 'ignored',
      message: 'customer.created is not handled by billing',
    });
    const malformed = event('invoice.paid', T0, invoice({ total: 1.5 }));
    expect(await store.receive(malformed, NOW)).toMatchObject({
      outcome: 'ignored',
      message: 'malformed invoice: total is not a whole number',
    });
    expect(await count('billing_invoices')).toBe(1);
    expect(await count('billing_stripe_events')).toBe(5);
  });

  it('mirrors subscription events onto the tenant, newest first wins', async () => {
    await addTenant('acme');
    const updated = event(
      'customer.subscription.updated',
      T0 + 100,
      subscription(
        { pause_collection: { behavior: 'void' } },
        { quantity: 30, price: 'price_eur_900' },
      ),
    );
    const created = event('customer.subscription.created', T0, subscription());
    expect(await store.receive(updated, NOW)).toMatchObject({
      outcome: 'applied',
      subscriptionId: 'sub_acme',
    });
    expect(await store.receive(created, LATER)).toMatchObject({
      outcome: 'stale',
    });
    const row = await tenantRow('acme');
    expect({
      ...row,
      stripe_paused: Boolean(row.stripe_paused),
      stripe_event_at: Number(row.stripe_event_at),
    }).toMatchObject({
      stripe_subscription_id: 'sub_acme',
      stripe_item_id: 'si_acme',
      stripe_price_id: 'price_eur_900',
      stripe_quantity: 30,
      stripe_status: 'active',
      stripe_paused: true,
      stripe_period_start: '2027-01-15T08:00:00.000Z',
      stripe_period_end: '2027-02-14T08:00:00.000Z',
      stripe_event_at: T0 + 100,
      updated_at: NOW,
    });
    // the same second applies (the later delivery wins)
    await store.receive(
      event(
        'customer.subscription.deleted',
        T0 + 100,
        subscription({ status: 'canceled' }, { quantity: 30 }),
      ),
      LATER,
    );
    expect((await tenantRow('acme')).stripe_status).toBe('canceled');
    // another subscription of that customer is not the tenant's
    expect(
      await store.receive(
        event(
          'customer.subscription.created',
          T0 + 500,
          subscription({ id: 'sub_other' }),
        ),
        LATER,
      ),
    ).toMatchObject({
      outcome: 'ignored',
      message: "subscription sub_other is not the tenant's (sub_acme)",
    });
    expect((await tenantRow('acme')).stripe_subscription_id).toBe('sub_acme');
  });

  it('writes nothing when the audit event cannot be made', async () => {
    await addTenant('acme');
    const before = await tenantRow('acme');
    await expect(
      store.receive(
        event('invoice.payment_failed', T0, invoice(finalized)),
        NOW,
        () => {
          throw new Error('audit event cannot be made');
        },
      ),
    ).rejects.toThrow('audit event cannot be made');
    expect(await count('billing_stripe_events')).toBe(0);
    expect(await count('billing_invoices')).toBe(0);
    expect(await tenantRow('acme')).toEqual(before);
  });

  it('keeps the audit event of an applied event until it is marked forwarded', async () => {
    await addTenant('acme');
    const audit = (eventId: string) => ({
      at: NOW,
      actor: { type: 'service' as const, ref: 'plugin:billing' },
      action: 'billing.invoice.created',
      outcome: 'success' as const,
      resource: { type: 'billing-invoice', ref: eventId, name: eventId },
      source: 'billing',
      externalId: `stripe:${eventId}`,
    });
    const a = event('invoice.created', T0, invoice());
    const b = event('customer.created', T0, { id: 'cus_acme' });
    await store.receive(a, NOW, () => audit(a.id));
    // not handled: ignored, nothing to audit
    await store.receive(b, NOW, applied =>
      applied.outcome === 'applied' ? audit(b.id) : undefined,
    );
    // a repeat stores no second audit event
    expect(await store.receive(a, LATER, () => audit('again'))).toBe(
      'duplicate',
    );
    expect(await store.unaudited(10)).toEqual([
      { id: a.id, audit: audit(a.id) },
    ]);
    await store.markAudited([a.id], LATER);
    expect(await store.unaudited(10)).toEqual([]);
  });

  it('lists the events received, newest first, by type', async () => {
    await addTenant('acme');
    const a = event('invoice.created', T0, invoice());
    const b = event('customer.created', T0, { id: 'cus_acme' });
    const c = event('invoice.finalized', T0 + 1, invoice(finalized));
    await store.receive(a, '2026-12-08T10:00:00.000Z');
    await store.receive(b, '2026-12-08T10:00:01.000Z');
    await store.receive(c, '2026-12-08T10:00:02.000Z');
    const all = await store.listEvents({ limit: 2, offset: 0 });
    expect(all.total).toBe(3);
    expect(all.items.map(e => e.id)).toEqual([c.id, b.id]);
    expect(all.items[1]).toEqual({
      id: b.id,
      type: 'customer.created',
      objectId: 'cus_acme',
      createdAt: '2027-01-15T08:00:00.000Z',
      receivedAt: '2026-12-08T10:00:01.000Z',
      outcome: 'ignored',
      message: 'customer.created is not handled by billing',
    });
    const page2 = await store.listEvents({ limit: 2, offset: 2 });
    expect(page2.items.map(e => e.id)).toEqual([a.id]);
    const invoiceCreated = await store.listEvents({
      type: 'invoice.created',
      limit: 10,
      offset: 0,
    });
    expect(invoiceCreated).toMatchObject({
      total: 1,
      items: [{ id: a.id, tenantRef: 'tenant:default/acme' }],
    });
  });

  it('scopes the invoice reads to a partner in SQL: never a row of another partner (random cases)', async () => {
    const random = seededRandom(7);
    const partners = ['nord', 'sued', 'west'];
    const names: Array<[string, string | undefined]> = [];
    for (let i = 0; i < 12; i++) {
      const partner =
        i < partners.length * 2
          ? partners[i % partners.length]
          : partners[random(partners.length + 1)];
      names.push([`t${i}`, partner]);
      await addTenant(`t${i}`, partner);
    }
    const statuses = ['draft', 'open', 'paid', 'void', 'uncollectible'];
    for (let n = 0; n < 60; n++) {
      const [name] = names[random(names.length)];
      await store.receive(
        event(
          'invoice.updated',
          T0 + n,
          invoice({
            id: `in_${n}`,
            customer: `cus_${name}`,
            status: statuses[random(statuses.length)],
            created: T0 + random(1000),
            total: random(100_000),
          }),
        ),
        NOW,
      );
    }
    const partnerOf = new Map(
      names.map(([n, p]) => [`tenant:default/${n}`, p]),
    );
    for (let round = 0; round < 20; round++) {
      const mine = partners[random(partners.length)];
      const scope = {
        column: 'partnerRef' as const,
        values: [`partner:default/${mine}`],
      };
      const other = partners.filter(p => p !== mine)[random(2)];
      const status = statuses[random(statuses.length)] as 'paid';
      const seen = await invoices.list({
        scope,
        status,
        limit: 200,
        offset: 0,
      });
      const all = await invoices.list({ status, limit: 200, offset: 0 });
      const expected = all.items.filter(
        i => partnerOf.get(i.tenantRef!) === mine,
      );
      expect(seen.items).toEqual(expected);
      expect(seen.total).toBe(expected.length);
      // asking for another partner's invoices inside the scope: nothing
      const asked = await invoices.list({
        scope,
        partnerRef: `partner:default/${other}`,
        limit: 200,
        offset: 0,
      });
      expect(asked).toEqual({ items: [], total: 0 });
      // a tenant-scoped caller (criteria on the tenant ref)
      const [tenantName] = names[random(names.length)];
      const tenantScoped = await invoices.list({
        scope: {
          column: 'tenantRef',
          values: [`tenant:default/${tenantName}`],
        },
        limit: 200,
        offset: 0,
      });
      expect(
        tenantScoped.items.every(
          i => i.tenantRef === `tenant:default/${tenantName}`,
        ),
      ).toBe(true);
    }
    // newest first, paged
    const page = await invoices.list({ limit: 5, offset: 5 });
    const everything = await invoices.list({ limit: 200, offset: 0 });
    expect(everything.total).toBe(60);
    expect(page.items).toEqual(everything.items.slice(5, 10));
    const dates = everything.items.map(i => i.createdAt);
    expect([...dates].sort().reverse()).toEqual(dates);
  });
});
