import {
  invoiceChange,
  InvoiceStatus,
  invoiceStatusRank,
  mergeInvoice,
  readInvoice,
  readSubscription,
  tenantRefOf,
} from './stripeMirror';

describe('invoiceStatusRank', () => {
  it.each<[InvoiceStatus, number]>([
    ['draft', 0],
    ['open', 1],
    ['paid', 2],
    ['void', 2],
    ['uncollectible', 2],
  ])('%s → %d', (status, rank) => {
    expect(invoiceStatusRank(status)).toBe(rank);
  });
});

describe('invoiceChange', () => {
  // stored status @ its event time, incoming status @ its event time, result
  it.each<[InvoiceStatus, number, InvoiceStatus, number, 'apply' | 'stale']>([
    // forward in the lifecycle: always, whatever the times say
    ['draft', 10, 'open', 11, 'apply'],
    ['draft', 10, 'open', 9, 'apply'],
    ['open', 10, 'paid', 10, 'apply'],
    ['open', 10, 'void', 11, 'apply'],
    ['open', 10, 'uncollectible', 11, 'apply'],
    ['draft', 10, 'paid', 12, 'apply'],
    // backwards: never (invoice.paid delivered before invoice.finalized)
    ['paid', 12, 'open', 11, 'stale'],
    ['paid', 12, 'open', 13, 'stale'],
    ['open', 11, 'draft', 10, 'stale'],
    ['void', 11, 'draft', 10, 'stale'],
    ['uncollectible', 11, 'open', 12, 'stale'],
    // among the final statuses only uncollectible moves on
    ['uncollectible', 11, 'paid', 12, 'apply'],
    ['uncollectible', 11, 'void', 12, 'apply'],
    ['uncollectible', 12, 'paid', 11, 'apply'],
    ['paid', 11, 'uncollectible', 12, 'stale'],
    ['paid', 11, 'void', 12, 'stale'],
    ['void', 11, 'paid', 12, 'stale'],
    ['void', 11, 'uncollectible', 12, 'stale'],
    // same status: the newer event wins, a tie too
    ['open', 10, 'open', 11, 'apply'],
    ['open', 10, 'open', 10, 'apply'],
    ['open', 11, 'open', 10, 'stale'],
    ['draft', 11, 'draft', 10, 'stale'],
    ['paid', 10, 'paid', 10, 'apply'],
  ])('%s@%d then %s@%d → %s', (from, fromAt, to, toAt, expected) => {
    expect(
      invoiceChange(
        { status: from, eventAt: fromAt },
        { status: to, eventAt: toAt },
      ),
    ).toBe(expected);
  });

  it('applies any state to an invoice not seen yet', () => {
    expect(invoiceChange(undefined, { status: 'paid', eventAt: 1 })).toBe(
      'apply',
    );
  });
});

const invoiceObject = (extra: object = {}) => ({
  id: 'in_1',
  object: 'invoice',
  customer: 'cus_1',
  status: 'open',
  currency: 'eur',
  total: 8000,
  amount_due: 8000,
  amount_paid: 0,
  amount_remaining: 8000,
  created: 1_800_000_000,
  period_start: 1_800_000_000,
  period_end: 1_802_592_000,
  due_date: 1_801_209_600,
  number: 'ABC-0001',
  hosted_invoice_url: 'http://x/invoice/in_1',
  invoice_pdf: 'http://x/invoice/in_1/pdf',
  billing_reason: 'subscription_create',
  parent: {
    type: 'subscription_details',
    subscription_details: {
      subscription: 'sub_1',
      metadata: { tenant: 'tenant:default/Kiel-Klinik' },
    },
  },
  ...extra,
});

describe('readInvoice', () => {
  it('reads the pinned shape: upper-case currency, ISO dates, the subscription from parent', () => {
    expect(readInvoice(invoiceObject())).toEqual({
      invoice: {
        id: 'in_1',
        customerId: 'cus_1',
        subscriptionId: 'sub_1',
        metadataTenant: 'tenant:default/kiel-klinik',
        number: 'ABC-0001',
        status: 'open',
        currency: 'EUR',
        total: 8000,
        amountDue: 8000,
        amountPaid: 0,
        amountRemaining: 8000,
        periodStart: '2027-01-15T08:00:00.000Z',
        periodEnd: '2027-02-14T08:00:00.000Z',
        dueDate: '2027-01-29T08:00:00.000Z',
        hostedInvoiceUrl: 'http://x/invoice/in_1',
        invoicePdf: 'http://x/invoice/in_1/pdf',
        billingReason: 'subscription_create',
        createdAt: '2027-01-15T08:00:00.000Z',
      },
    });
  });

  it.each<[string, object, string]>([
    ['a fractional amount', { total: 80.5 }, 'total is not a whole number'],
    ['an amount as text', { amount_due: '8000' }, 'amount_due is not a whole'],
    ['no customer', { customer: null }, 'customer is missing'],
    ['an unknown status', { status: 'settled' }, 'is not an invoice status'],
    ['a bad currency', { currency: 'euro' }, 'currency is not an ISO 4217'],
    ['a NUL byte', { number: 'A\u0000' }, 'number is not a string'],
  ])('refuses %s', (_what, extra, problem) => {
    const read = readInvoice(invoiceObject(extra));
    expect('problem' in read && read.problem).toContain(problem);
  });

  it('takes an expanded customer and an invoice without a subscription', () => {
    const read = readInvoice(
      invoiceObject({ customer: { id: 'cus_9' }, parent: null, number: null }),
    );
    expect(read).toMatchObject({
      invoice: { customerId: 'cus_9', subscriptionId: null, number: null },
    });
    expect('invoice' in read && 'metadataTenant' in read.invoice).toBe(false);
  });
});

describe('mergeInvoice', () => {
  const read = (extra: object = {}) => {
    const r = readInvoice(invoiceObject(extra));
    if (!('invoice' in r)) throw new Error(r.problem);
    return r.invoice;
  };

  it('never replaces what an invoice keeps once set with null', () => {
    const stored = read();
    const incoming = read({
      status: 'paid',
      amount_paid: 8000,
      amount_remaining: 0,
      number: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      parent: null,
    });
    expect(mergeInvoice(stored, incoming)).toEqual({
      ...incoming,
      number: 'ABC-0001',
      hostedInvoiceUrl: 'http://x/invoice/in_1',
      invoicePdf: 'http://x/invoice/in_1/pdf',
      subscriptionId: 'sub_1',
    });
  });

  it('takes the incoming amounts and status', () => {
    const merged = mergeInvoice(read(), read({ total: 9000, status: 'void' }));
    expect([merged.total, merged.status]).toEqual([9000, 'void']);
  });
});

describe('readSubscription', () => {
  const sub = (extra: object = {}) => ({
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    status: 'active',
    pause_collection: null,
    metadata: { tenant: 'kiel-klinik' },
    items: {
      object: 'list',
      data: [
        {
          id: 'si_1',
          price: { id: 'price_1' },
          quantity: 25,
          current_period_start: 1_800_000_000,
          current_period_end: 1_802_592_000,
        },
      ],
    },
    ...extra,
  });

  it('reads the first item, its periods and whether collection is paused', () => {
    expect(readSubscription(sub())).toEqual({
      subscription: {
        id: 'sub_1',
        customerId: 'cus_1',
        metadataTenant: 'tenant:default/kiel-klinik',
        status: 'active',
        paused: false,
        itemId: 'si_1',
        priceId: 'price_1',
        quantity: 25,
        periodStart: '2027-01-15T08:00:00.000Z',
        periodEnd: '2027-02-14T08:00:00.000Z',
      },
    });
    expect(
      readSubscription(sub({ pause_collection: { behavior: 'void' } })),
    ).toMatchObject({ subscription: { paused: true } });
  });

  it('refuses a fractional quantity', () => {
    const read = readSubscription(
      sub({ items: { data: [{ id: 'si_1', quantity: 2.5 }] } }),
    );
    expect('problem' in read && read.problem).toContain(
      'item quantity is not a whole number',
    );
  });
});

describe('tenantRefOf', () => {
  it.each<[unknown, string | undefined]>([
    [{ tenant: 'tenant:default/acme' }, 'tenant:default/acme'],
    [{ tenant: ' Acme ' }, 'tenant:default/acme'],
    [{ tenant: '' }, undefined],
    [{ tenant: 7 }, undefined],
    [{}, undefined],
    [null, undefined],
  ])('%p → %p', (metadata, ref) => {
    expect(tenantRefOf(metadata)).toBe(ref);
  });
});
