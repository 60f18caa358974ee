/*
 * Contract tests of the Stripe stand-in, driven through the official SDK
 * (stripe@23.2.0) pointed at it with host/port/protocol — every line of
 * "What a stand-in must reproduce" in /work/shared/design/apis/stripe.md:
 * transport (form/query parameters, empty = unset, unknown parameters), auth
 * and error classes, idempotency, pinned shapes, prices, subscriptions and
 * items, invoices under the controllable clock, events, signed webhooks, lists.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  STRIPE_API_VERSION,
  startDevPlatform,
} from '.';
import { retryDelayMs } from './stripeWebhooks';

const C = DEV_PLATFORM_CREDENTIALS.stripe;

let platform: DevPlatform;
let stripe: Stripe;

function client(key: string = C.secretKey): Stripe {
  const { hostname, port } = new URL(platform.urls.stripe);
  return new Stripe(key, {
    apiVersion: STRIPE_API_VERSION,
    host: hostname,
    port: Number(port),
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

beforeAll(async () => {
  // a frozen clock: only advancing it makes work fall due
  platform = await startDevPlatform({ stripeFrozenClock: true });
  stripe = client();
});

afterAll(() => platform.stop());

beforeEach(() => platform.reset());

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** A raw call with the secret key (form body for POST). */
async function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${platform.urls.stripe}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${C.secretKey}`,
      ...(body !== undefined
        ? { 'content-type': 'application/x-www-form-urlencoded' }
        : {}),
      ...headers,
    },
    body,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function seatPrice(unitAmount = 800, extra: object = {}) {
  const product = await stripe.products.create({ name: 'Seats' });
  return stripe.prices.create({
    product: product.id,
    currency: 'eur',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
    ...extra,
  });
}

async function seatSubscription(quantity = 25, unitAmount = 800) {
  const customer = await stripe.customers.create({
    email: 'billing@acme.test',
    name: 'Acme',
  });
  const price = await seatPrice(unitAmount);
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id, quantity }],
    collection_method: 'send_invoice',
    days_until_due: 14,
    metadata: { tenant: 'acme' },
  });
  return { customer, price, subscription };
}

/** Event types, oldest first, optionally only those about one object. */
async function eventTypes(objectId?: string): Promise<string[]> {
  const events: Stripe.Event[] = [];
  for await (const event of stripe.events.list({ limit: 100 })) {
    events.push(event);
  }
  return events
    .reverse()
    .filter(
      e =>
        !objectId ||
        (e.data.object as { id?: string }).id === objectId ||
        (e.data.object as any).parent?.subscription_details?.subscription ===
          objectId,
    )
    .map(e => e.type);
}

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${platform.urls.control}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('pinned API version', () => {
  it('is the version the installed SDK pins, and is echoed on answers', async () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
    const res = await raw('GET', '/v1/customers');
    expect(res.headers.get('stripe-version')).toBe(STRIPE_API_VERSION);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
  });

  it('refuses another Stripe-Version (it renders the pinned shapes only)', async () => {
    const res = await raw('GET', '/v1/customers', undefined, {
      'stripe-version': '2020-08-27',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
  });
});

describe('authentication and errors', () => {
  it('answers a bad key with 401: StripeAuthenticationError', async () => {
    const err = await failure(client('sk_test_wrong_key_123').customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(err.raw.message).toMatch(/^Invalid API Key provided: sk_test_\*+/);
  });

  it('answers a missing key with 401 too', async () => {
    const res = await fetch(`${platform.urls.stripe}/v1/customers`);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toMatchObject({ type: 'invalid_request_error' });
  });

  it('accepts the key as the Basic user name (curl -u sk_test_…:)', async () => {
    const res = await fetch(`${platform.urls.stripe}/v1/customers`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${C.secretKey}:`).toString(
          'base64',
        )}`,
      },
    });
    expect(res.status).toBe(200);
  });

  it('answers a missing id with 404 resource_missing: StripeInvalidRequestError', async () => {
    const err = await failure(stripe.customers.retrieve('cus_missing'));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('resource_missing');
    expect(err.param).toBe('id');
    expect(err.raw.message).toBe("No such customer: 'cus_missing'");
    expect(err.requestId).toMatch(/^req_/);
    for (const call of [
      stripe.products.retrieve('prod_x'),
      stripe.prices.retrieve('price_x'),
      stripe.subscriptions.retrieve('sub_x'),
      stripe.subscriptionItems.retrieve('si_x'),
      stripe.invoices.retrieve('in_x'),
      stripe.events.retrieve('evt_x'),
    ]) {
      expect((await failure(call)).code).toBe('resource_missing');
    }
  });

  it('renders errors as {"error": {type, code, message, param, doc_url}}', async () => {
    const res = await raw('GET', '/v1/customers/cus_missing');
    expect(res.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: "No such customer: 'cus_missing'",
        param: 'id',
        doc_url: expect.stringMatching(/resource-missing$/),
      },
    });
  });

  it('answers an unknown URL with 404', async () => {
    const res = await raw('GET', '/v1/charges_of_the_future');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/^Unrecognized request URL/);
  });
});

describe('parameters', () => {
  it('parses nested and indexed form parameters (metadata, address, tax ids, items)', async () => {
    const customer = await stripe.customers.create({
      email: 'a@acme.test',
      metadata: { tenant: 'acme', plan: 'team' },
      address: { line1: 'Hauptstr. 1', city: 'Berlin', country: 'DE' },
      tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
      preferred_locales: ['de', 'en'],
    });
    expect(customer.metadata).toEqual({ tenant: 'acme', plan: 'team' });
    expect(customer.address).toEqual({
      line1: 'Hauptstr. 1',
      line2: null,
      city: 'Berlin',
      postal_code: null,
      state: null,
      country: 'DE',
    });
    expect(customer.preferred_locales).toEqual(['de', 'en']);
  });

  it('accepts empty-bracket arrays (expand[]=…) as well as indexes', async () => {
    const { subscription } = await seatSubscription();
    const res = await raw(
      'GET',
      `/v1/subscriptions/${subscription.id}?expand[]=latest_invoice&expand[]=customer`,
    );
    expect(res.status).toBe(200);
    expect(res.body.latest_invoice.object).toBe('invoice');
    expect(res.body.customer.object).toBe('customer');
  });

  it('reads GET parameters from the query string (list filters)', async () => {
    await stripe.customers.create({ email: 'one@acme.test' });
    await stripe.customers.create({ email: 'two@acme.test' });
    const list = await stripe.customers.list({ email: 'two@acme.test' });
    expect(list.data.map(c => c.email)).toEqual(['two@acme.test']);
  });

  it('reads DELETE parameters from the query string (invoice_now=true; an unknown one is refused)', async () => {
    const { subscription } = await seatSubscription();
    const err = await failure(
      stripe.subscriptions.cancel(subscription.id, { bogus: 'x' } as any),
    );
    expect(err.code).toBe('parameter_unknown');
    expect(err.param).toBe('bogus');
    const canceled = await stripe.subscriptions.cancel(subscription.id, {
      invoice_now: true,
      prorate: false,
    });
    expect(canceled.status).toBe('canceled');
  });

  it('treats an empty value as "unset" (metadata key, description)', async () => {
    const customer = await stripe.customers.create({
      description: 'to go',
      metadata: { keep: '1', drop: '2' },
    });
    const updated = await stripe.customers.update(customer.id, {
      description: '',
      metadata: { drop: '' },
    });
    expect(updated.description).toBeNull();
    expect(updated.metadata).toEqual({ keep: '1' });
    const emptied = await stripe.customers.update(customer.id, {
      metadata: '',
    });
    expect(emptied.metadata).toEqual({});
  });

  it('refuses an unknown parameter with 400 parameter_unknown, nested ones by their full name', async () => {
    const err = await failure(
      stripe.customers.create({ favourite_colour: 'blue' } as any),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('parameter_unknown');
    expect(err.param).toBe('favourite_colour');
    expect(err.raw.message).toBe(
      'Received unknown parameter: favourite_colour',
    );

    const customer = await stripe.customers.create({});
    const price = await seatPrice();
    const nested = await failure(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id, seats: 3 } as any],
      }),
    );
    expect(nested.param).toBe('items[0][seats]');
  });

  it('refuses a missing required parameter and a bad integer', async () => {
    const missing = await failure(stripe.products.create({} as any));
    expect(missing.code).toBe('parameter_missing');
    expect(missing.param).toBe('name');
    const res = await raw('POST', '/v1/prices', 'currency=eur&unit_amount=ten');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'unit_amount',
    });
  });
});

describe('idempotency', () => {
  it('replays the first answer to the same key and parameters: the same object, created once', async () => {
    const first = await stripe.customers.create(
      { email: 'once@acme.test' },
      { idempotencyKey: 'create-acme' },
    );
    const again = await stripe.customers.create(
      { email: 'once@acme.test' },
      { idempotencyKey: 'create-acme' },
    );
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.requestId).toBe(first.lastResponse.requestId);
    expect((await stripe.customers.list()).data).toHaveLength(1);
    expect(await eventTypes()).toEqual(['customer.created']);
  });

  it('replays errors too (once the endpoint ran), even after the state changed', async () => {
    const { subscription } = await seatSubscription();
    const invoice = subscription.latest_invoice as string;
    const first = await failure(
      stripe.invoices.voidInvoice(invoice, {}, { idempotencyKey: 'void-1' }),
    );
    expect(first.code).toBe('status_transition_invalid');
    await stripe.invoices.finalizeInvoice(invoice);
    // voiding would now succeed, but the key replays the first answer
    const replay = await failure(
      stripe.invoices.voidInvoice(invoice, {}, { idempotencyKey: 'void-1' }),
    );
    expect(replay.code).toBe('status_transition_invalid');
    expect(replay.requestId).toBe(first.requestId);
    expect((await stripe.invoices.retrieve(invoice)).status).toBe('open');
  });

  it('answers the same key with other parameters with 400 idempotency_error: StripeIdempotencyError', async () => {
    await stripe.customers.create(
      { email: 'a@acme.test' },
      { idempotencyKey: 'k-1' },
    );
    const err = await failure(
      stripe.customers.create(
        { email: 'b@acme.test' },
        { idempotencyKey: 'k-1' },
      ),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.type).toBe('StripeIdempotencyError');
    expect(err.statusCode).toBe(400);
    expect(err.raw.type).toBe('idempotency_error');
    // …and on another endpoint
    const other = await failure(
      stripe.products.create({ name: 'x' }, { idempotencyKey: 'k-1' }),
    );
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('saves nothing when the parameters fail validation', async () => {
    const err = await failure(
      stripe.products.create({ nam: 'typo' } as any, {
        idempotencyKey: 'k-2',
      }),
    );
    expect(err.code).toBe('parameter_unknown');
    const product = await stripe.products.create(
      { name: 'fixed' },
      { idempotencyKey: 'k-2' },
    );
    expect(product.name).toBe('fixed');
  });

  it('gets a key from the SDK on every POST (distinct keys: two creates make two objects)', async () => {
    await stripe.customers.create({ email: 'x@acme.test' });
    await stripe.customers.create({ email: 'x@acme.test' });
    const events = (await stripe.events.list()).data;
    expect(events).toHaveLength(2);
    const keys = events.map(e => e.request?.idempotency_key);
    for (const key of keys) expect(key).toMatch(/^stripe-node-retry-/);
    expect(keys[0]).not.toBe(keys[1]);
  });
});

describe('lists', () => {
  it('returns the envelope, 10 by default, newest first, pages with starting_after, auto-paginates', async () => {
    const created: string[] = [];
    for (let i = 0; i < 12; i++) {
      created.push((await stripe.products.create({ name: `p${i}` })).id);
    }
    const newestFirst = [...created].reverse();
    const first = await stripe.products.list();
    expect(first.object).toBe('list');
    expect(first.url).toBe('/v1/products');
    expect(first.has_more).toBe(true);
    expect(first.data.map(p => p.id)).toEqual(newestFirst.slice(0, 10));

    const page = await stripe.products.list({
      limit: 5,
      starting_after: newestFirst[4],
    });
    expect(page.data.map(p => p.id)).toEqual(newestFirst.slice(5, 10));
    expect(page.has_more).toBe(true);
    const last = await stripe.products.list({
      limit: 5,
      starting_after: newestFirst[9],
    });
    expect(last.data.map(p => p.id)).toEqual(newestFirst.slice(10));
    expect(last.has_more).toBe(false);

    const all: string[] = [];
    for await (const p of stripe.products.list({ limit: 3 })) all.push(p.id);
    expect(all).toEqual(newestFirst);
  });

  it('refuses a limit above 100 or below 1', async () => {
    for (const limit of [0, 101]) {
      const err = await failure(stripe.products.list({ limit }));
      expect(err.param).toBe('limit');
      expect(err.statusCode).toBe(400);
    }
    expect((await stripe.products.list({ limit: 100 })).data).toEqual([]);
  });
});

describe('products and prices', () => {
  it('refuses to change a price’s amount (only active, metadata, nickname, lookup_key, tax_behavior…)', async () => {
    const price = await seatPrice(800);
    const err = await failure(
      stripe.prices.update(price.id, { unit_amount: 900 } as any),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe('parameter_unknown');
    expect(err.param).toBe('unit_amount');
    for (const field of ['currency', 'recurring', 'product']) {
      const e = await failure(
        stripe.prices.update(price.id, { [field]: 'x' } as any),
      );
      expect(e.param).toBe(field);
    }
    const updated = await stripe.prices.update(price.id, {
      nickname: 'Seat, monthly',
      lookup_key: 'seat-monthly',
      metadata: { v: '1' },
    });
    expect(updated).toMatchObject({
      unit_amount: 800,
      nickname: 'Seat, monthly',
      lookup_key: 'seat-monthly',
      metadata: { v: '1' },
    });
  });

  it('hides archived prices from the list unless active=false is asked for', async () => {
    const old = await seatPrice(800);
    const current = await seatPrice(900);
    await stripe.prices.update(old.id, { active: false });
    expect((await stripe.prices.list()).data.map(p => p.id)).toEqual([
      current.id,
    ]);
    expect(
      (await stripe.prices.list({ active: false })).data.map(p => p.id),
    ).toEqual([old.id]);
    // still retrievable, and not usable on a subscription
    expect((await stripe.prices.retrieve(old.id)).active).toBe(false);
    const customer = await stripe.customers.create({});
    const err = await failure(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: old.id }],
        collection_method: 'send_invoice',
        days_until_due: 14,
      }),
    );
    expect(err.param).toBe('items[0][price]');
  });

  it('renders prices in the pinned shape', async () => {
    const price = await seatPrice(800);
    expect(price).toMatchObject({
      object: 'price',
      active: true,
      currency: 'eur',
      unit_amount: 800,
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1 },
      nickname: null,
      metadata: {},
    });
    expect(price.id).toMatch(/^price_/);
    expect(price.product).toMatch(/^prod_/);
  });

  it('refuses to delete a product with prices; deletes one without', async () => {
    const price = await seatPrice();
    const err = await failure(stripe.products.del(price.product as string));
    expect(err.statusCode).toBe(400);
    const lone = await stripe.products.create({ name: 'lone' });
    expect(await stripe.products.del(lone.id)).toMatchObject({
      id: lone.id,
      deleted: true,
    });
    expect((await failure(stripe.products.retrieve(lone.id))).code).toBe(
      'resource_missing',
    );
  });
});

describe('subscriptions', () => {
  it('creates a send_invoice subscription: active, items with ids and periods, a draft subscription_create invoice', async () => {
    const { customer, price, subscription } = await seatSubscription(25, 800);
    expect(subscription).toMatchObject({
      object: 'subscription',
      status: 'active',
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 14,
      pause_collection: null,
      cancel_at_period_end: false,
      canceled_at: null,
      metadata: { tenant: 'acme' },
    });
    // pinned shape: periods are on the items, not on the subscription
    expect(subscription).not.toHaveProperty('current_period_start');
    expect(subscription).not.toHaveProperty('current_period_end');
    const [item] = subscription.items.data;
    expect(item.id).toMatch(/^si_/);
    expect(item.quantity).toBe(25);
    expect(item.price.id).toBe(price.id);
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start);

    const invoice = await stripe.invoices.retrieve(
      subscription.latest_invoice as string,
    );
    expect(invoice).toMatchObject({
      status: 'draft',
      billing_reason: 'subscription_create',
      collection_method: 'send_invoice',
      customer: customer.id,
      amount_due: 25 * 800,
      total: 25 * 800,
      currency: 'eur',
      number: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      auto_advance: true,
    });
    // pinned shape: the subscription is under parent.subscription_details
    expect(invoice).not.toHaveProperty('subscription');
    expect(invoice.parent?.subscription_details?.subscription).toBe(
      subscription.id,
    );
    expect(invoice.lines.data[0]).toMatchObject({
      amount: 25 * 800,
      quantity: 25,
      parent: {
        subscription_item_details: { subscription_item: item.id },
      },
    });
  });

  it('needs days_until_due with send_invoice', async () => {
    const customer = await stripe.customers.create({});
    const price = await seatPrice();
    const err = await failure(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        collection_method: 'send_invoice',
      }),
    );
    expect(err.code).toBe('parameter_missing');
    expect(err.param).toBe('days_until_due');
  });

  it('refuses a missing customer as a parameter (400 resource_missing)', async () => {
    const price = await seatPrice();
    const err = await failure(
      stripe.subscriptions.create({
        customer: 'cus_nope',
        items: [{ price: price.id }],
      }),
    );
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('resource_missing');
    expect(err.param).toBe('customer');
  });

  it('expands latest_invoice on request', async () => {
    const customer = await stripe.customers.create({});
    const price = await seatPrice();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 3 }],
      collection_method: 'send_invoice',
      days_until_due: 7,
      expand: ['latest_invoice'],
    });
    expect((sub.latest_invoice as Stripe.Invoice).object).toBe('invoice');
  });

  it('changes the seat count through the subscription item and through the subscription', async () => {
    const { subscription } = await seatSubscription(25);
    const itemId = subscription.items.data[0].id;

    const item = await stripe.subscriptionItems.update(itemId, {
      quantity: 30,
    });
    expect(item.quantity).toBe(30);
    expect(
      (await stripe.subscriptions.retrieve(subscription.id)).items.data[0]
        .quantity,
    ).toBe(30);

    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, quantity: 40 }],
      proration_behavior: 'none',
    });
    expect(updated.items.data).toHaveLength(1);
    expect(updated.items.data[0]).toMatchObject({ id: itemId, quantity: 40 });

    // each change: customer.subscription.updated with the previous items
    const updates = (
      await stripe.events.list({ type: 'customer.subscription.updated' })
    ).data;
    expect(updates).toHaveLength(2);
    const previous = updates[0].data.previous_attributes as any;
    expect(previous.items.data[0].quantity).toBe(30);
    expect(
      (updates[0].data.object as Stripe.Subscription).items.data[0].quantity,
    ).toBe(40);
  });

  it('changes the price of an item through both endpoints (same item id)', async () => {
    const { subscription, price } = await seatSubscription(5, 800);
    const itemId = subscription.items.data[0].id;
    const second = await stripe.prices.create({
      product: price.product as string,
      currency: 'eur',
      unit_amount: 900,
      recurring: { interval: 'month' },
    });
    const viaSubscription = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: second.id }],
    });
    expect(viaSubscription.items.data[0]).toMatchObject({
      id: itemId,
      quantity: 5,
      price: { id: second.id, unit_amount: 900 },
    });
    const third = await seatPrice(1000);
    const viaItem = await stripe.subscriptionItems.update(itemId, {
      price: third.id,
    });
    expect(viaItem.price.id).toBe(third.id);

    // another currency cannot join
    const usd = await seatPrice(1000, { currency: 'usd' });
    const err = await failure(
      stripe.subscriptionItems.update(itemId, { price: usd.id }),
    );
    expect(err.statusCode).toBe(400);
  });

  it('adds, lists and removes items; the last one cannot go', async () => {
    const { subscription } = await seatSubscription(5);
    const addon = await seatPrice(200);
    const added = await stripe.subscriptionItems.create({
      subscription: subscription.id,
      price: addon.id,
      quantity: 2,
    });
    const listed = await stripe.subscriptionItems.list({
      subscription: subscription.id,
    });
    expect(listed.data.map(i => i.id).sort()).toEqual(
      [subscription.items.data[0].id, added.id].sort(),
    );
    expect(await stripe.subscriptionItems.del(added.id)).toMatchObject({
      id: added.id,
      deleted: true,
    });
    const err = await failure(
      stripe.subscriptionItems.del(subscription.items.data[0].id),
    );
    expect(err.statusCode).toBe(400);
  });

  it('sets and clears pause_collection without changing status (no .paused event)', async () => {
    const { subscription } = await seatSubscription();
    const paused = await stripe.subscriptions.update(subscription.id, {
      pause_collection: { behavior: 'keep_as_draft' },
    });
    expect(paused.status).toBe('active');
    expect(paused.pause_collection).toEqual({
      behavior: 'keep_as_draft',
      resumes_at: null,
    });
    const [event] = (
      await stripe.events.list({ type: 'customer.subscription.updated' })
    ).data;
    expect(event.data.previous_attributes).toEqual({ pause_collection: null });

    const resumed = await stripe.subscriptions.update(subscription.id, {
      pause_collection: '',
    });
    expect(resumed.status).toBe('active');
    expect(resumed.pause_collection).toBeNull();
    const types = await eventTypes(subscription.id);
    expect(types).not.toContain('customer.subscription.paused');
    expect(types).not.toContain('customer.subscription.resumed');
  });

  it('while collection is paused with keep_as_draft, renewal invoices stay drafts', async () => {
    const { subscription } = await seatSubscription();
    await stripe.subscriptions.update(subscription.id, {
      pause_collection: { behavior: 'keep_as_draft' },
    });
    const end = subscription.items.data[0].current_period_end;
    platform.stripe.advanceClock(end - platform.stripe.now() + 2 * 3600);
    const cycle = (
      await stripe.invoices.list({ subscription: subscription.id })
    ).data.find(i => i.billing_reason === 'subscription_cycle')!;
    expect(cycle.status).toBe('draft');
    expect(cycle.auto_advance).toBe(false);
  });

  it('cancels with DELETE: status canceled, customer.subscription.deleted, hidden from the default list', async () => {
    const { subscription, customer } = await seatSubscription();
    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    expect(await eventTypes(subscription.id)).toContain(
      'customer.subscription.deleted',
    );
    expect(
      (await stripe.subscriptions.list({ customer: customer.id })).data,
    ).toEqual([]);
    expect(
      (
        await stripe.subscriptions.list({
          customer: customer.id,
          status: 'all',
        })
      ).data,
    ).toHaveLength(1);
    const again = await failure(stripe.subscriptions.cancel(subscription.id));
    expect(again.statusCode).toBe(400);
  });
});

describe('invoices under the controllable clock', () => {
  it('finalizes the first send_invoice invoice an hour after creation: number and URLs set', async () => {
    const { subscription } = await seatSubscription();
    const id = subscription.latest_invoice as string;

    expect(
      (await stripe.invoices.retrieve(id)).automatically_finalizes_at,
    ).toBe(platform.stripe.now() + 3600);
    await control('POST', '/stripe/clock/advance', { seconds: 3599 });
    expect((await stripe.invoices.retrieve(id)).status).toBe('draft');

    const res = await control('POST', '/stripe/clock/advance', { seconds: 1 });
    expect(res.status).toBe(200);
    expect(res.body.now).toBe(platform.stripe.now());
    const invoice = await stripe.invoices.retrieve(id);
    expect(invoice.status).toBe('open');
    expect(invoice.number).toMatch(/^[0-9A-F]{8}-0001$/);
    expect(invoice.hosted_invoice_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(invoice.invoice_pdf).toEqual(expect.any(String));
    expect(invoice.status_transitions.finalized_at).toEqual(expect.any(Number));
    const page = await fetch(invoice.hosted_invoice_url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(invoice.number!);
  });

  it('emits the events of a subscription in causal order: created, invoice created, finalized, paid', async () => {
    const { subscription } = await seatSubscription();
    expect(await eventTypes(subscription.id)).toEqual([
      'customer.subscription.created',
      'invoice.created',
    ]);
    platform.stripe.advanceClock(3600);
    await stripe.invoices.pay(subscription.latest_invoice as string, {
      paid_out_of_band: true,
    });
    expect(await eventTypes(subscription.id)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
    ]);
  });

  it('marks the subscription past_due at the due date, active again once paid', async () => {
    const { subscription } = await seatSubscription();
    const id = subscription.latest_invoice as string;
    platform.stripe.advanceClock(14 * 86400 + 1);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe(
      'past_due',
    );
    const paid = await stripe.invoices.pay(id, { paid_out_of_band: true });
    expect(paid).toMatchObject({ status: 'paid', amount_remaining: 0 });
    expect(paid.amount_paid).toBe(paid.amount_due);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe(
      'active',
    );
    const updates = (
      await stripe.events.list({ type: 'customer.subscription.updated' })
    ).data;
    expect(updates.map(u => u.data.previous_attributes)).toEqual([
      { status: 'past_due' },
      { status: 'active' },
    ]);
  });

  it('renews at the period end with a subscription_cycle invoice', async () => {
    const { subscription } = await seatSubscription();
    const [item] = subscription.items.data;
    platform.stripe.advanceClock(
      item.current_period_end - platform.stripe.now(),
    );
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data[0].current_period_start).toBe(
      item.current_period_end,
    );
    const latest = await stripe.invoices.retrieve(
      renewed.latest_invoice as string,
    );
    expect(latest).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'draft',
    });
  });

  /** An invoice in each state, with its subscription's first invoice. */
  async function invoiceIn(
    status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void',
  ): Promise<string> {
    const { subscription } = await seatSubscription();
    const id = subscription.latest_invoice as string;
    if (status === 'draft') return id;
    await stripe.invoices.finalizeInvoice(id);
    if (status === 'paid')
      await stripe.invoices.pay(id, { paid_out_of_band: true });
    if (status === 'uncollectible') await stripe.invoices.markUncollectible(id);
    if (status === 'void') await stripe.invoices.voidInvoice(id);
    return id;
  }

  const act = {
    finalize: (id: string) => stripe.invoices.finalizeInvoice(id),
    pay: (id: string) => stripe.invoices.pay(id, { paid_out_of_band: true }),
    send: (id: string) => stripe.invoices.sendInvoice(id),
    void: (id: string) => stripe.invoices.voidInvoice(id),
    mark_uncollectible: (id: string) => stripe.invoices.markUncollectible(id),
    delete: (id: string) => stripe.invoices.del(id),
  };

  it.each([
    ['draft', 'finalize', 'open', 'invoice.finalized'],
    ['open', 'pay', 'paid', 'invoice.paid'],
    ['open', 'send', 'open', 'invoice.sent'],
    ['open', 'void', 'void', 'invoice.voided'],
    ['uncollectible', 'void', 'void', 'invoice.voided'],
    [
      'open',
      'mark_uncollectible',
      'uncollectible',
      'invoice.marked_uncollectible',
    ],
    ['uncollectible', 'pay', 'paid', 'invoice.paid'],
  ] as const)('%s → %s → %s (%s)', async (from, action, to, eventType) => {
    const id = await invoiceIn(from);
    const result: any = await act[action](id);
    expect(result.status).toBe(to);
    const [latest] = (await stripe.events.list({ limit: 1 })).data;
    expect(latest.type).toBe(eventType);
    expect((latest.data.object as Stripe.Invoice).id).toBe(id);
  });

  it('draft → DELETE → gone (invoice.deleted)', async () => {
    const id = await invoiceIn('draft');
    expect(await act.delete(id)).toMatchObject({ id, deleted: true });
    expect((await failure(stripe.invoices.retrieve(id))).statusCode).toBe(404);
    const [latest] = (await stripe.events.list({ limit: 1 })).data;
    expect(latest.type).toBe('invoice.deleted');
  });

  it.each([
    ['draft', 'pay'],
    ['draft', 'send'],
    ['draft', 'void'],
    ['draft', 'mark_uncollectible'],
    ['open', 'finalize'],
    ['open', 'delete'],
    ['paid', 'void'],
    ['paid', 'pay'],
    ['paid', 'mark_uncollectible'],
    ['void', 'pay'],
    ['void', 'finalize'],
    ['uncollectible', 'mark_uncollectible'],
  ] as const)('refuses %s → %s with 400', async (from, action) => {
    const id = await invoiceIn(from);
    const before = await stripe.events.list({ limit: 1 });
    const err = await failure(act[action](id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('status_transition_invalid');
    expect((await stripe.invoices.retrieve(id)).status).toBe(from);
    expect((await stripe.events.list({ limit: 1 })).data[0].id).toBe(
      before.data[0].id,
    );
  });

  it('fails a payment that is not out of band (402, invoice.payment_failed)', async () => {
    const id = await invoiceIn('open');
    const err = await failure(stripe.invoices.pay(id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect((await stripe.invoices.retrieve(id)).status).toBe('open');
    expect((await stripe.events.list({ limit: 1 })).data[0].type).toBe(
      'invoice.payment_failed',
    );
  });

  it('records a failed payment from the control endpoint: attempt_count, attempted, invoice.payment_failed, still open', async () => {
    const id = await invoiceIn('open');
    const before = await stripe.invoices.retrieve(id);
    expect(before).toMatchObject({ attempt_count: 0, attempted: false });
    const lastBefore = (await stripe.events.list({ limit: 1 })).data[0].id;

    const first = await control(
      'POST',
      `/stripe/invoices/${id}/payment-failed`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id,
      status: 'open',
      attempt_count: 1,
      attempted: true,
      amount_paid: 0,
    });
    const second = await control(
      'POST',
      `/stripe/invoices/${id}/payment-failed`,
    );
    expect(second.body.attempt_count).toBe(2);
    expect(await stripe.invoices.retrieve(id)).toMatchObject({
      status: 'open',
      attempt_count: 2,
      attempted: true,
    });

    // exactly one invoice.payment_failed per attempt (no invoice.updated),
    // carrying the invoice as it was after that attempt, caused by no request
    const events = (await stripe.events.list({ limit: 10 })).data;
    const since = events.slice(
      0,
      events.findIndex(e => e.id === lastBefore),
    );
    expect(since.map(e => e.type)).toEqual([
      'invoice.payment_failed',
      'invoice.payment_failed',
    ]);
    expect(
      since.map(e => (e.data.object as Stripe.Invoice).attempt_count),
    ).toEqual([2, 1]);
    expect(since[0].request).toEqual({ id: null, idempotency_key: null });
    // the subscription is untouched (send_invoice: past_due only at the due date)
    const sub = await stripe.subscriptions.retrieve(
      before.parent!.subscription_details!.subscription as string,
    );
    expect(sub.status).toBe('active');
  });

  it.each(['draft', 'paid', 'void', 'uncollectible'] as const)(
    'refuses a failed payment on a %s invoice with 400 (control error shape), changing nothing',
    async from => {
      const id = await invoiceIn(from);
      const lastBefore = (await stripe.events.list({ limit: 1 })).data[0].id;
      const res = await control(
        'POST',
        `/stripe/invoices/${id}/payment-failed`,
      );
      expect(res).toEqual({
        status: 400,
        body: { error: expect.stringContaining(from) },
      });
      expect(await stripe.invoices.retrieve(id)).toMatchObject({
        status: from,
        attempt_count: 0,
      });
      expect((await stripe.events.list({ limit: 1 })).data[0].id).toBe(
        lastBefore,
      );
    },
  );

  it('answers 404 for an unknown invoice on the control payment routes', async () => {
    for (const action of ['payment-failed', 'pay']) {
      expect(
        await control('POST', `/stripe/invoices/in_missing/${action}`),
      ).toEqual({
        status: 404,
        body: { error: expect.stringContaining('in_missing') },
      });
    }
  });

  it('pays out of band through the API and the control endpoint: invoice.paid only, past_due → active', async () => {
    // the API, as the billing backend would (the SDK's pay with paid_out_of_band)
    const viaApi = await invoiceIn('open');
    const lastBefore = (await stripe.events.list({ limit: 1 })).data[0].id;
    const paid = await stripe.invoices.pay(viaApi, { paid_out_of_band: true });
    expect(paid).toMatchObject({
      status: 'paid',
      amount_remaining: 0,
    });
    expect(paid.amount_paid).toBe(paid.amount_due);
    const events = (await stripe.events.list({ limit: 10 })).data;
    expect(
      events
        .slice(
          0,
          events.findIndex(e => e.id === lastBefore),
        )
        .map(e => e.type),
    ).toEqual(['invoice.paid']);

    // the control endpoint, after a failed attempt and the due date passing
    const { subscription } = await seatSubscription();
    const id = subscription.latest_invoice as string;
    await control('POST', '/stripe/clock/advance', { seconds: 3600 });
    await control('POST', `/stripe/invoices/${id}/payment-failed`);
    await control('POST', '/stripe/clock/advance', { seconds: 15 * 86_400 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe(
      'past_due',
    );
    const res = await control('POST', `/stripe/invoices/${id}/pay`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'paid', attempt_count: 1 });
    expect(await eventTypes(subscription.id)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_failed',
      'customer.subscription.updated',
      'invoice.paid',
      'customer.subscription.updated',
    ]);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe(
      'active',
    );
    // paid twice: 400
    expect((await control('POST', `/stripe/invoices/${id}/pay`)).status).toBe(
      400,
    );
  });

  it('edits only drafts (invoice_not_editable), metadata always', async () => {
    const id = await invoiceIn('open');
    const err = await failure(
      stripe.invoices.update(id, { description: 'late' }),
    );
    expect(err.code).toBe('invoice_not_editable');
    const updated = await stripe.invoices.update(id, {
      metadata: { po: '42' },
    });
    expect(updated.metadata).toEqual({ po: '42' });
  });

  it('lists invoices by subscription and status', async () => {
    const { subscription } = await seatSubscription();
    await seatSubscription();
    const list = await stripe.invoices.list({
      subscription: subscription.id,
      status: 'draft',
    });
    expect(list.data.map(i => i.id)).toEqual([subscription.latest_invoice]);
  });
});

describe('events', () => {
  it('retrieves an event by id, with previous_attributes on *.updated', async () => {
    const customer = await stripe.customers.create({ name: 'Old' });
    await stripe.customers.update(customer.id, { name: 'New' });
    const [updated] = (await stripe.events.list({ type: 'customer.updated' }))
      .data;
    const event = await stripe.events.retrieve(updated.id);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.updated',
      api_version: STRIPE_API_VERSION,
      livemode: false,
      data: {
        object: { id: customer.id, name: 'New' },
        previous_attributes: { name: 'Old' },
      },
    });
    expect(event.request?.id).toMatch(/^req_/);
  });

  it('filters by type and types[] (with a wildcard)', async () => {
    await seatSubscription();
    const invoiceEvents = await stripe.events.list({ type: 'invoice.*' });
    expect(invoiceEvents.data.map(e => e.type)).toEqual(['invoice.created']);
    const some = await stripe.events.list({
      types: ['customer.created', 'price.created'],
    });
    expect(some.data.map(e => e.type).sort()).toEqual([
      'customer.created',
      'price.created',
    ]);
  });

  it('marks clock-driven events as not caused by a request', async () => {
    await seatSubscription();
    platform.stripe.advanceClock(3600);
    const [finalized] = (
      await stripe.events.list({ type: 'invoice.finalized' })
    ).data;
    expect(finalized.request).toEqual({ id: null, idempotency_key: null });
  });
});

describe('webhooks', () => {
  interface Received {
    body: string;
    signature: string;
  }
  let receiver: http.Server;
  let received: Received[];
  let receiverUrl: string;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['stripe-signature']),
        });
        res.end('ok');
      });
    });
    await new Promise<void>(resolve =>
      receiver.listen(0, '127.0.0.1', resolve),
    );
    receiverUrl = `http://127.0.0.1:${
      (receiver.address() as AddressInfo).port
    }/webhook`;
  });

  afterAll(() => new Promise<void>(resolve => receiver.close(() => resolve())));

  beforeEach(() => {
    received = [];
  });

  const types = () => received.map(r => JSON.parse(r.body).type);

  it('POSTs every event, signed as Stripe signs, in causal order', async () => {
    const put = await control('PUT', '/stripe/webhook', { url: receiverUrl });
    expect(put).toEqual({
      status: 200,
      body: { url: receiverUrl, secret: C.webhookSecret, autoDeliver: true },
    });
    const { subscription } = await seatSubscription();
    await control('POST', '/stripe/clock/advance', { seconds: 3600 });
    const flushed = await control('POST', '/stripe/webhook/flush');
    expect(flushed.status).toBe(200);
    expect(flushed.body.every((d: any) => d.ok && d.status === 200)).toBe(true);

    expect(types()).toEqual([
      'customer.created',
      'product.created',
      'price.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
    ]);
    for (const { body, signature } of received) {
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const event = stripe.webhooks.constructEvent(
        body,
        signature,
        C.webhookSecret,
      );
      expect(event.object).toBe('event');
    }
    const created = stripe.webhooks.constructEvent(
      received[3].body,
      received[3].signature,
      C.webhookSecret,
    );
    expect((created.data.object as Stripe.Subscription).id).toBe(
      subscription.id,
    );
    // delivered events no longer count as pending
    expect((await stripe.events.retrieve(created.id)).pending_webhooks).toBe(0);
  });

  it('does not verify a tampered body or another secret', async () => {
    platform.stripe.setWebhook({ url: receiverUrl });
    await stripe.customers.create({ name: 'Acme' });
    await platform.stripe.flushWebhooks();
    const [{ body, signature }] = received;
    const tampered = body.replace('Acme', 'Evil');
    expect(tampered).not.toBe(body);
    expect(() =>
      stripe.webhooks.constructEvent(tampered, signature, C.webhookSecret),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() =>
      stripe.webhooks.constructEvent(body, signature, 'whsec_other'),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('signs with the configured secret', async () => {
    await control('PUT', '/stripe/webhook', {
      url: receiverUrl,
      secret: 'whsec_custom',
    });
    await stripe.customers.create({});
    await control('POST', '/stripe/webhook/flush');
    expect(
      stripe.webhooks.constructEvent(
        received[0].body,
        received[0].signature,
        'whsec_custom',
      ).type,
    ).toBe('customer.created');
  });

  it('redelivers an event on request (a duplicate with the same id)', async () => {
    platform.stripe.setWebhook({ url: receiverUrl });
    await stripe.customers.create({});
    await platform.stripe.flushWebhooks();
    const id = JSON.parse(received[0].body).id;
    const res = await control('POST', `/stripe/events/${id}/redeliver`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event: id, ok: true, status: 200 });
    expect(received.map(r => JSON.parse(r.body).id)).toEqual([id, id]);
    expect(
      (await control('POST', '/stripe/events/evt_missing/redeliver')).status,
    ).toBe(400);
  });

  it('delivers out of order when asked to (autoDeliver false, then deliver in a given order)', async () => {
    await control('PUT', '/stripe/webhook', {
      url: receiverUrl,
      autoDeliver: false,
    });
    await stripe.customers.create({ name: 'first' });
    await stripe.customers.create({ name: 'second' });
    await control('POST', '/stripe/webhook/flush');
    expect(received).toEqual([]);
    const [second, first] = (await stripe.events.list()).data.map(e => e.id);
    const res = await control('POST', '/stripe/webhook/deliver', {
      events: [second, first],
    });
    expect(res.body.map((d: any) => d.event)).toEqual([second, first]);
    expect(received.map(r => JSON.parse(r.body).data.object.name)).toEqual([
      'second',
      'first',
    ]);
  });

  it('keeps failed deliveries pending and sends them again on deliver', async () => {
    const failing = http.createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>(resolve => failing.listen(0, '127.0.0.1', resolve));
    try {
      platform.stripe.setWebhook({
        url: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`,
      });
      await stripe.customers.create({});
      const [attempt] = await platform.stripe.flushWebhooks();
      expect(attempt).toMatchObject({ ok: false, status: 503 });
      // the endpoint is fixed: deliver() without ids sends what is pending
      await control('PUT', '/stripe/webhook', { url: receiverUrl });
      expect(await platform.stripe.deliverWebhooks()).toEqual([]);
    } finally {
      await new Promise(resolve => failing.close(resolve));
    }
  });

  describe('automatic retries (retryAfterMs)', () => {
    /** A receiver that answers 503 until `healthy`, and resolves `got(n)` once n events were answered 200. */
    function flakyReceiver() {
      const state = {
        healthy: false,
        answers: [] as Array<{ id: string; status: number }>,
      };
      const waiters: Array<{ n: number; resolve: () => void }> = [];
      const oks = () => state.answers.filter(a => a.status === 200).length;
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', c => chunks.push(c));
        req.on('end', () => {
          const { id } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const status = state.healthy ? 200 : 503;
          state.answers.push({ id, status });
          res.statusCode = status;
          res.end();
          for (const w of waiters.filter(x => oks() >= x.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        });
      });
      const got = (n: number) =>
        new Promise<void>(resolve => {
          if (oks() >= n) resolve();
          else waiters.push({ n, resolve });
        });
      return { state, server, got };
    }

    async function listening(server: http.Server): Promise<string> {
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }

    it('re-sends pending events in order once the failing endpoint recovers', async () => {
      const flaky = flakyReceiver();
      const url = await listening(flaky.server);
      try {
        const put = await control('PUT', '/stripe/webhook', {
          url,
          retryAfterMs: 5,
        });
        expect(put.body).toEqual({
          url,
          secret: C.webhookSecret,
          autoDeliver: true,
          retryAfterMs: 5,
        });
        await stripe.customers.create({ name: 'first' });
        await stripe.customers.create({ name: 'second' });
        const [second, first] = (await stripe.events.list()).data.map(
          e => e.id,
        );
        // both were tried (and refused) as they happened
        await platform.stripe.flushWebhooks();
        const tried = flaky.state.answers.map(a => a.id);
        expect(tried.indexOf(first)).toBeGreaterThanOrEqual(0);
        expect(tried.indexOf(second)).toBeGreaterThan(tried.indexOf(first));
        expect(platform.state().stripe.pendingWebhooks).toEqual([
          first,
          second,
        ]);
        expect(platform.state().stripe.nextWebhookRetryAt).toEqual(
          expect.any(String),
        );

        flaky.state.healthy = true;
        await flaky.got(2);
        const deliveries = await platform.stripe.flushWebhooks();

        // delivered once each, oldest first, by a retry round
        const oks = flaky.state.answers.filter(a => a.status === 200);
        expect(oks.map(a => a.id)).toEqual([first, second]);
        expect(deliveries.filter(d => d.ok).map(d => d.event)).toEqual([
          first,
          second,
        ]);
        expect(deliveries.filter(d => !d.ok).every(d => d.status === 503)).toBe(
          true,
        );
        expect(platform.state().stripe.pendingWebhooks).toEqual([]);
        expect(platform.state().stripe.nextWebhookRetryAt).toBeNull();
        expect((await stripe.events.retrieve(first)).pending_webhooks).toBe(0);
        // with nothing pending, a new event is sent once, as it happens
        const answered = flaky.state.answers.length;
        await stripe.customers.create({ name: 'third' });
        await flaky.got(3);
        await platform.stripe.flushWebhooks();
        expect(flaky.state.answers.length).toBe(answered + 1);
      } finally {
        await new Promise(resolve => flaky.server.close(resolve));
      }
    });

    it('keeps retrying while a connection is refused, then delivers', async () => {
      const flaky = flakyReceiver();
      flaky.state.healthy = true;
      // a port nothing listens on yet (as the backend before it is up)
      const url = await listening(flaky.server);
      await new Promise(resolve => flaky.server.close(resolve));
      platform.stripe.setWebhook({ url, retryAfterMs: 5 });
      await stripe.customers.create({ name: 'early' });
      const [attempt] = await platform.stripe.flushWebhooks();
      expect(attempt).toMatchObject({ ok: false, status: 0 });
      // the backend comes up on that port
      await new Promise<void>(resolve =>
        flaky.server.listen(Number(new URL(url).port), '127.0.0.1', resolve),
      );
      try {
        await flaky.got(1);
        const deliveries = await platform.stripe.flushWebhooks();
        expect(deliveries.at(-1)).toMatchObject({
          event: attempt.event,
          ok: true,
          status: 200,
        });
        expect(platform.state().stripe.pendingWebhooks).toEqual([]);
      } finally {
        await new Promise(resolve => flaky.server.close(resolve));
      }
    });

    it('retries nothing without retryAfterMs, and cancels a scheduled retry when the endpoint changes', async () => {
      const flaky = flakyReceiver();
      const url = await listening(flaky.server);
      try {
        platform.stripe.setWebhook({ url });
        await stripe.customers.create({});
        await platform.stripe.flushWebhooks();
        expect(platform.state().stripe.nextWebhookRetryAt).toBeNull();
        expect(platform.state().stripe.pendingWebhooks).toHaveLength(1);

        platform.stripe.setWebhook({ url, retryAfterMs: 60_000 });
        await stripe.customers.create({});
        await platform.stripe.flushWebhooks();
        expect(platform.state().stripe.nextWebhookRetryAt).toEqual(
          expect.any(String),
        );
        expect((await control('DELETE', '/stripe/webhook')).status).toBe(204);
        expect(platform.state().stripe.nextWebhookRetryAt).toBeNull();
        expect(platform.state().stripe.pendingWebhooks).toEqual([]);
      } finally {
        await new Promise(resolve => flaky.server.close(resolve));
      }
    });

    it('doubles the delay per failed round, up to 8× retryAfterMs', () => {
      expect([0, 1, 2, 3, 4, 10, 100].map(n => retryDelayMs(2000, n))).toEqual([
        2000, 4000, 8000, 16000, 16000, 16000, 16000,
      ]);
    });

    it.each([0, -1, 1.5, '100', true])(
      'refuses retryAfterMs %j with 400',
      async value => {
        const res = await control('PUT', '/stripe/webhook', {
          url: receiverUrl,
          retryAfterMs: value,
        });
        expect(res).toEqual({
          status: 400,
          body: { error: expect.stringContaining('retryAfterMs') },
        });
      },
    );

    it('takes null as "no automatic retry"', async () => {
      const res = await control('PUT', '/stripe/webhook', {
        url: receiverUrl,
        retryAfterMs: null,
      });
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('retryAfterMs');
    });
  });

  it('sends nothing without an endpoint, and refuses deliver then', async () => {
    await stripe.customers.create({});
    expect((await control('GET', '/stripe/webhook')).body).toBeNull();
    expect((await control('POST', '/stripe/webhook/deliver', {})).status).toBe(
      400,
    );
    expect(received).toEqual([]);
  });
});

describe('faults through the platform', () => {
  it('answers 429 with Retry-After: StripeRateLimitError', async () => {
    platform.setFault('stripe', {
      tooManyRequests: { retryAfterSeconds: 3, count: 1 },
    });
    const err = await failure(stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(err.statusCode).toBe(429);
    expect(err.headers['retry-after']).toBe('3');
    expect((await stripe.customers.list()).object).toBe('list');
  });

  it('answers 500 without carrying the request out: StripeAPIError', async () => {
    platform.setFault('stripe', { failNext: 1 });
    const err = await failure(stripe.customers.create({ name: 'never' }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(500);
    expect(platform.state().stripe.customers).toEqual([]);
  });

  it('is unreachable when down: StripeConnectionError', async () => {
    platform.setFault('stripe', { down: true });
    const err = await failure(stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    // the control endpoint answers once the port listens again
    expect(await control('DELETE', '/faults/stripe')).toEqual({
      status: 204,
      body: undefined,
    });
    expect((await stripe.customers.list()).object).toBe('list');
  });

  it('shows the state through the control endpoint', async () => {
    const { subscription } = await seatSubscription();
    const state = (await control('GET', '/state')).body.stripe;
    expect(state.subscriptions.map((s: any) => s.id)).toEqual([
      subscription.id,
    ]);
    expect(state.invoices).toHaveLength(1);
    expect(state.events.map((e: any) => e.type)).toEqual([
      'customer.created',
      'product.created',
      'price.created',
      'customer.subscription.created',
      'invoice.created',
    ]);
    expect(typeof state.now).toBe('number');
  });
});
