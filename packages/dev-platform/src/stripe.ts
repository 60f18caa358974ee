/*
 * Stripe stand-in ("local Stripe"): a stateful subset of the v1 API for seat
 * billing — customers, products, prices, subscriptions and their items,
 * invoices (send_invoice), events and signed webhooks — in the shapes of the
 * API version stripe-node 23.2.0 pins, so the official SDK can be pointed at
 * it with its host/port/protocol options.
 *
 * Spec: /work/shared/design/apis/stripe.md ("What a stand-in must
 * reproduce"); shapes from the SDK's types (cjs/resources/*.d.ts), errors as
 * the SDK's Error.js classifies them. Where the digest marks a behaviour as
 * unconfirmed, the choice taken is noted at the code that makes it.
 *
 * Time: the stand-in's clock is the wall clock plus an offset that the control
 * endpoint advances. Work that falls due (finalizing a draft an hour after it
 * was created, an unpaid invoice passing its due date, a period renewing) runs
 * in time order when the clock is advanced and before every API request, so
 * nothing happens behind a test's back on a timer.
 */
import { randomBytes } from 'node:crypto';
import {
  deepClone,
  header,
  isObject,
  Obj,
  segments,
  StandIn,
  StandInRequest,
  StandInResponse,
} from './http';
import {
  arr,
  bool,
  canonicalJson,
  decodeForm,
  decodeParams,
  EndpointParams,
  expand,
  int,
  metadata,
  obj,
  range,
  RawParams,
  str,
  StripeParamError,
  validateParams,
} from './stripeParams';
import {
  StripeWebhookConfig,
  StripeWebhookDelivery,
  StripeWebhookSender,
} from './stripeWebhooks';
import { DEV_PLATFORM_CREDENTIALS } from './types';

/**
 * The API version stripe-node 23.2.0 pins (its cjs/apiVersion.js). The stand-in
 * renders this version's shapes only; clients should pass it as `apiVersion`.
 */
export const STRIPE_API_VERSION = '2026-11-18.endive';

const SECRET_KEY = DEV_PLATFORM_CREDENTIALS.stripe.secretKey;
const DAY = 86_400;
/** send_invoice subscriptions: the first invoice is finalized an hour after it is created (stripe.md §5). */
const FINALIZE_AFTER_SECONDS = 3600;
/** An `incomplete` subscription whose first invoice is not paid within 23 hours expires. */
const INCOMPLETE_EXPIRES_AFTER_SECONDS = 23 * 3600;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** An error in Stripe's shape: `{"error": {type, code?, message, param?, doc_url?}}`. */
class StripeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly param?: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** A control-endpoint refusal: 404 unknown object, 400 not possible in its state. */
export class StripeControlError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}

function errorBody(
  type: string,
  message: string,
  code?: string,
  param?: string,
): Obj {
  return {
    error: {
      ...(code
        ? {
            code,
            doc_url: `https://stripe.com/docs/error-codes/${code.replace(
              /_/g,
              '-',
            )}`,
          }
        : {}),
      message,
      ...(param ? { param } : {}),
      type,
    },
  };
}

function randomId(prefix: string, length = 14): string {
  const alphabet =
    '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return `${prefix}_${out}`;
}

/** `ts` plus n intervals (calendar months in UTC, clamped to the month's last day). */
function addInterval(
  ts: number,
  interval: string,
  count: number,
  anchorDay?: number,
): number {
  if (interval === 'day') return ts + count * DAY;
  if (interval === 'week') return ts + count * 7 * DAY;
  const date = new Date(ts * 1000);
  const months = interval === 'year' ? 12 * count : count;
  const day = anchorDay ?? date.getUTCDate();
  const target = new Date(
    Date.UTC(
      date.getUTCFullYear(),
      date.getUTCMonth() + months,
      1,
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ),
  );
  const last = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return Math.floor(target.getTime() / 1000);
}

/** Top-level keys whose rendering changed, with their previous values. */
function previousAttributes(before: Obj, after: Obj): Obj {
  const previous: Obj = {};
  for (const key of Object.keys(before)) {
    if (canonicalJson(before[key]) !== canonicalJson(after[key])) {
      previous[key] = before[key];
    }
  }
  return previous;
}

/** Metadata update: keys set to null are removed, the whole object null empties it. */
function mergeMetadata(
  current: Obj,
  update: Record<string, string | null> | null | undefined,
): Obj {
  if (update === undefined) return current;
  if (update === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

const PAGE: EndpointParams['fields'] = {
  limit: int({ min: 1, max: 100 }),
  starting_after: str(),
  ending_before: str(),
  expand,
};

const ADDRESS = obj(
  {
    line1: str({ emptyable: true }),
    line2: str({ emptyable: true }),
    city: str({ emptyable: true }),
    postal_code: str({ emptyable: true }),
    state: str({ emptyable: true }),
    country: str({ emptyable: true }),
  },
  { emptyable: true },
);

const CUSTOMER_FIELDS: EndpointParams['fields'] = {
  email: str({ emptyable: true }),
  name: str({ emptyable: true }),
  description: str({ emptyable: true }),
  phone: str({ emptyable: true }),
  metadata,
  address: ADDRESS,
  preferred_locales: arr(str(), { emptyable: true }),
  tax_exempt: str({ enum: ['none', 'exempt', 'reverse'], emptyable: true }),
  invoice_settings: obj({
    footer: str({ emptyable: true }),
    custom_fields: arr(obj({ name: str(), value: str() }), {
      emptyable: true,
    }),
  }),
  expand,
};

const PRODUCT_FIELDS: EndpointParams['fields'] = {
  name: str(),
  active: bool,
  description: str({ emptyable: true }),
  metadata,
  tax_code: str({ emptyable: true }),
  unit_label: str({ emptyable: true }),
  url: str({ emptyable: true }),
  expand,
};

/** What a price update accepts (stripe.md §5): everything else is an unknown parameter. */
const PRICE_UPDATE_FIELDS: EndpointParams['fields'] = {
  active: bool,
  metadata,
  nickname: str({ emptyable: true }),
  lookup_key: str({ emptyable: true }),
  tax_behavior: str({ enum: ['exclusive', 'inclusive', 'unspecified'] }),
  currency_options: { t: 'metadata' },
  transfer_lookup_key: bool,
  expand,
};

const COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;
const PRORATION_BEHAVIORS = [
  'create_prorations',
  'always_invoice',
  'none',
] as const;
const PAYMENT_BEHAVIORS = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
] as const;

const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;

interface Item {
  id: string;
  price: string;
  quantity: number;
  metadata: Obj;
  created: number;
}

interface Sub {
  id: string;
  /** Everything rendered except `items`. */
  data: Obj;
  items: Item[];
  /** Index of the current period counted from the billing cycle anchor. */
  period: number;
  anchorDay: number;
}

interface Saved {
  method: string;
  path: string;
  params: string;
  response: StandInResponse;
}

interface Ctx {
  requestId: string;
  idempotencyKey: string | null;
}

type Run = (params: Obj, ids: string[], ctx: Ctx) => Obj;

interface Route {
  method: string;
  path: string[];
  params: EndpointParams;
  run: Run;
  /** Created objects answer 200 in Stripe (not 201). */
}

export interface StripeState {
  /** The stand-in's clock (unix seconds). */
  now: number;
  customers: object[];
  products: object[];
  prices: object[];
  subscriptions: object[];
  invoices: object[];
  /** Oldest first. */
  events: object[];
  webhook: StripeWebhookConfig | null;
  deliveries: StripeWebhookDelivery[];
  /** Events not yet delivered to the endpoint, oldest first. */
  pendingWebhooks: string[];
  /** ISO time of the next automatic retry round (webhook `retryAfterMs`); null: none scheduled. */
  nextWebhookRetryAt: string | null;
}

export interface StripeOptions {
  /**
   * The clock stands still except when advanced (tests: a wall-clock second
   * passing between two calls cannot make work fall due). Default false: it
   * follows the wall clock.
   */
  frozenClock?: boolean;
}

export class StripeStandIn implements StandIn {
  /** Base URL of the stand-in (hosted invoice pages); set by the platform. */
  baseUrl = 'http://127.0.0.1';
  private offset = 0;
  /** With a frozen clock: the wall clock when it was frozen (start, reset). */
  private frozenAt: number | undefined;
  /** While due work runs: the time it fell due. */
  private virtualNow: number | undefined;
  private customers = new Map<string, Obj>();
  private deletedCustomers = new Set<string>();
  private products = new Map<string, Obj>();
  private prices = new Map<string, Obj>();
  private subs = new Map<string, Sub>();
  private invoices = new Map<string, Obj>();
  private events: Obj[] = [];
  private eventsById = new Map<string, Obj>();
  private idempotency = new Map<string, Saved>();
  private invoiceCounters = new Map<string, number>();
  /** Invoices already past due that moved their subscription to past_due. */
  private overdue = new Set<string>();
  /** Invoices created while collection was paused with mark_uncollectible. */
  private uncollectibleOnFinalize = new Set<string>();
  private ctx: Ctx | null = null;
  readonly webhooks = new StripeWebhookSender(
    id => this.eventsById.get(id),
    id => {
      const event = this.eventsById.get(id);
      if (event)
        event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    },
  );
  private readonly routes: Route[] = this.buildRoutes();

  constructor(options: StripeOptions = {}) {
    if (options.frozenClock) this.frozenAt = Math.floor(Date.now() / 1000);
  }

  // ---- clock ------------------------------------------------------------

  /** The stand-in's time, unix seconds. */
  now(): number {
    return (
      this.virtualNow ??
      (this.frozenAt ?? Math.floor(Date.now() / 1000)) + this.offset
    );
  }

  /** Moves the clock forward, running whatever falls due on the way, in time order. */
  advanceClock(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new Error('"seconds" must be a non-negative integer');
    }
    const target = this.now() + seconds;
    this.runDueWork(target);
    this.offset += seconds;
    return this.now();
  }

  private runDueWork(until: number) {
    for (;;) {
      const job = this.nextJob(until);
      if (!job) break;
      this.virtualNow = job.at;
      try {
        job.run();
      } finally {
        this.virtualNow = undefined;
      }
    }
  }

  /** The earliest work due at or before `until`. */
  private nextJob(until: number): { at: number; run(): void } | undefined {
    let best: { at: number; run(): void } | undefined;
    const consider = (at: number | null | undefined, run: () => void) => {
      if (typeof at === 'number' && at <= until && (!best || at < best.at)) {
        best = { at, run };
      }
    };
    for (const invoice of this.invoices.values()) {
      if (invoice.status === 'draft' && invoice.auto_advance) {
        consider(invoice.automatically_finalizes_at, () =>
          this.finalize(invoice),
        );
      }
      const sub = this.subscriptionOf(invoice);
      if (
        invoice.status === 'open' &&
        invoice.collection_method === 'send_invoice' &&
        !this.overdue.has(invoice.id) &&
        sub &&
        sub.data.status === 'active'
      ) {
        // past_due when the invoice is unpaid at its due date (stripe.md §5)
        consider(invoice.due_date, () => {
          this.overdue.add(invoice.id);
          this.updateSubscription(sub, () => {
            sub.data.status = 'past_due';
          });
        });
      }
    }
    for (const sub of this.subs.values()) {
      const status = sub.data.status;
      if (status === 'incomplete') {
        consider(sub.data.created + INCOMPLETE_EXPIRES_AFTER_SECONDS, () =>
          this.expireIncomplete(sub),
        );
      }
      if (['active', 'past_due', 'unpaid', 'trialing'].includes(status)) {
        consider(this.periodEnd(sub), () => this.endPeriod(sub));
        const resumesAt = sub.data.pause_collection?.resumes_at;
        consider(resumesAt, () =>
          this.updateSubscription(sub, () => {
            sub.data.pause_collection = null;
          }),
        );
      }
    }
    return best;
  }

  // ---- StandIn ----------------------------------------------------------

  reset(): void {
    this.offset = 0;
    if (this.frozenAt !== undefined)
      this.frozenAt = Math.floor(Date.now() / 1000);
    this.customers.clear();
    this.deletedCustomers.clear();
    this.products.clear();
    this.prices.clear();
    this.subs.clear();
    this.invoices.clear();
    this.events = [];
    this.eventsById.clear();
    this.idempotency.clear();
    this.invoiceCounters.clear();
    this.overdue.clear();
    this.uncollectibleOnFinalize.clear();
    this.webhooks.reset();
  }

  stop(): void {
    this.webhooks.stop();
  }

  tooManyRequests(retryAfterSeconds: number): StandInResponse {
    // Stripe's 429 is an invalid_request_error with code rate_limit (the SDK
    // classifies any 429 as StripeRateLimitError); Retry-After is the
    // platform's fault setting
    return this.json(
      429,
      errorBody(
        'invalid_request_error',
        'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        'rate_limit',
      ),
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  serverError(): StandInResponse {
    return this.json(
      500,
      errorBody(
        'api_error',
        'An unknown error occurred. Please retry your request (the stand-in was told to fail it).',
      ),
    );
  }

  state(): StripeState {
    const newestLast = <T>(m: Map<string, T>) => [...m.values()];
    const nextRetry = this.webhooks.nextRetryAt();
    return {
      now: this.now(),
      customers: newestLast(this.customers).map(c => deepClone(c)),
      products: newestLast(this.products).map(p => deepClone(p)),
      prices: newestLast(this.prices).map(p => deepClone(p)),
      subscriptions: newestLast(this.subs).map(s => this.renderSub(s)),
      invoices: newestLast(this.invoices).map(i => deepClone(i)),
      events: this.events.map(e => deepClone(e)),
      webhook: this.webhooks.current() ?? null,
      deliveries: this.webhooks.deliveries(),
      pendingWebhooks: this.webhooks.pendingEvents(),
      nextWebhookRetryAt:
        nextRetry === undefined ? null : new Date(nextRetry).toISOString(),
    };
  }

  // ---- control (no API request: events carry request null) -------------

  /**
   * A failed payment attempt on an open invoice, as when a charge is declined:
   * `attempt_count` + 1, `attempted` true, `invoice.payment_failed`; the status
   * stays `open`. Only that event: the SDK's description of `invoice.updated`
   * ("whenever an invoice changes (e.g., the invoice amount)") does not say a
   * failed attempt sends one too, so the stand-in does not (same as a failed
   * `POST /v1/invoices/{id}/pay`). Throws StripeControlError: 404 unknown
   * invoice, 400 not open.
   */
  failInvoicePayment(id: string): Obj {
    this.runDueWork(this.now());
    const invoice = this.controlInvoice(id);
    if (invoice.status !== 'open') {
      throw new StripeControlError(
        400,
        `invoice ${id} is ${invoice.status}: only an open invoice can have a failed payment`,
      );
    }
    this.recordFailedAttempt(invoice);
    return deepClone(invoice);
  }

  /**
   * Pays an open or uncollectible invoice out of band, exactly as
   * `POST /v1/invoices/{id}/pay paid_out_of_band=true`: `invoice.paid` (no
   * `invoice.payment_succeeded`: that is for payment attempts, and the
   * stand-in has none), the subscription active again when that settled it.
   */
  payInvoice(id: string): Obj {
    this.runDueWork(this.now());
    const invoice = this.controlInvoice(id);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      throw new StripeControlError(
        400,
        `invoice ${id} is ${invoice.status}: only an open or uncollectible invoice can be paid`,
      );
    }
    this.transition(invoice, 'paid');
    return deepClone(invoice);
  }

  private controlInvoice(id: string): Obj {
    const invoice = this.invoices.get(id);
    if (!invoice) throw new StripeControlError(404, `no invoice ${id}`);
    return invoice;
  }

  private recordFailedAttempt(invoice: Obj) {
    invoice.attempt_count += 1;
    invoice.attempted = true;
    this.emit('invoice.payment_failed', invoice);
  }

  /** An event by id (control endpoint redelivery). */
  event(id: string): Obj | undefined {
    return this.eventsById.get(id);
  }

  // ---- HTTP -------------------------------------------------------------

  private json(
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): StandInResponse {
    return {
      status,
      headers: {
        'content-type': 'application/json',
        'request-id': this.ctx?.requestId ?? randomId('req'),
        'stripe-version': STRIPE_API_VERSION,
        ...headers,
      },
      body: JSON.stringify(body, null, 2),
    };
  }

  private errorResponse(err: StripeApiError): StandInResponse {
    return this.json(
      err.status,
      errorBody(err.type, err.message, err.code, err.param),
    );
  }

  handle(req: StandInRequest): StandInResponse {
    const parts = segments(req.path);
    if (parts[0] === 'invoice' && req.method === 'GET') {
      return this.hostedInvoice(parts.slice(1));
    }
    const requestId = randomId('req');
    const key = header(req, 'idempotency-key') ?? null;
    this.ctx = {
      requestId,
      idempotencyKey: req.method === 'POST' ? key : null,
    };
    try {
      return this.handleApi(req, parts);
    } catch (err) {
      if (err instanceof StripeApiError) return this.errorResponse(err);
      throw err;
    } finally {
      this.ctx = null;
    }
  }

  private authenticate(req: StandInRequest) {
    const auth = header(req, 'authorization') ?? '';
    let key: string | undefined;
    const bearer = /^Bearer\s+(.*)$/i.exec(auth);
    const basic = /^Basic\s+(.*)$/i.exec(auth);
    if (bearer) key = bearer[1].trim();
    else if (basic) {
      // curl -u sk_test_…: the key is the user name
      key = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
    }
    // 401 bodies: type invalid_request_error, as third-party copies of
    // Stripe's answers show (the digest marks message and type unconfirmed)
    if (!key) {
      throw new StripeApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    if (key !== SECRET_KEY) {
      const masked =
        key.length > 12 ? `${key.slice(0, 8)}****${key.slice(-4)}` : '****';
      throw new StripeApiError(401, `Invalid API Key provided: ${masked}`);
    }
  }

  private handleApi(req: StandInRequest, parts: string[]): StandInResponse {
    this.authenticate(req);
    // Deliberate deviation: real Stripe serves any version; the stand-in only
    // renders the pinned one, so another version is refused instead of being
    // answered in shapes that version would not have.
    const version = header(req, 'stripe-version');
    if (version !== undefined && version !== STRIPE_API_VERSION) {
      throw new StripeApiError(
        400,
        `This stand-in renders API version ${STRIPE_API_VERSION} only; the request asked for Stripe-Version ${version}.`,
        'api_version_invalid',
      );
    }
    if (parts[0] !== 'v1') this.unrecognized(req);
    const path = parts.slice(1);
    const match = this.route(req.method, path);
    if (!match) this.unrecognized(req);
    const { route, ids } = match!;

    // POST parameters are in the form body; GET and DELETE send them in the query
    const raw: RawParams =
      req.method === 'POST'
        ? decodeForm(req.body)
        : decodeParams(req.query.entries());

    // due work first: the wall clock may have passed a due time
    this.runDueWork(this.now());

    const key = this.ctx!.idempotencyKey;
    const paramsJson = canonicalJson(raw);
    if (key !== null) {
      if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
        throw new StripeApiError(
          400,
          `Idempotency keys can be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long.`,
          undefined,
          undefined,
          'idempotency_error',
        );
      }
      const saved = this.idempotency.get(key);
      if (saved) {
        if (
          saved.method !== req.method ||
          saved.path !== req.path ||
          saved.params !== paramsJson
        ) {
          // 400: the status stripe-stateful-mock uses (the docs state none;
          // the SDK maps 400 and 404 of this type to StripeIdempotencyError)
          throw new StripeApiError(
            400,
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            undefined,
            undefined,
            'idempotency_error',
          );
        }
        // the first response, status and body, replayed; `Idempotent-Replayed`
        // (unconfirmed in the digest) marks it
        return {
          ...saved.response,
          headers: {
            ...saved.response.headers,
            'idempotent-replayed': 'true',
          },
        };
      }
    }

    let params: Obj;
    try {
      params = validateParams(raw, route.params);
    } catch (err) {
      if (err instanceof StripeParamError) {
        // failed validation: nothing is saved under the key (docs /idempotency)
        throw new StripeApiError(400, err.message, err.code, err.param);
      }
      throw err;
    }

    let response: StandInResponse;
    try {
      const body = route.run(params, ids, this.ctx!);
      response = this.json(200, this.expandAll(body, params.expand ?? []));
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      response = this.errorResponse(err);
    }
    if (key !== null) {
      response.headers = { ...response.headers, 'idempotency-key': key };
      // saved once the endpoint started executing, errors included
      this.idempotency.set(key, {
        method: req.method,
        path: req.path,
        params: paramsJson,
        response,
      });
    }
    return response;
  }

  private unrecognized(req: StandInRequest): never {
    throw new StripeApiError(
      404,
      `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    );
  }

  private route(
    method: string,
    path: string[],
  ): { route: Route; ids: string[] } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.path.length !== path.length)
        continue;
      const ids: string[] = [];
      let ok = true;
      route.path.forEach((p, i) => {
        if (p === ':id') ids.push(path[i]);
        else if (p !== path[i]) ok = false;
      });
      if (ok) return { route, ids };
    }
    return undefined;
  }

  /** The page behind hosted_invoice_url / invoice_pdf (no auth, as Stripe's hosted pages). */
  private hostedInvoice(parts: string[]): StandInResponse {
    const invoice = this.invoices.get(parts[0] ?? '');
    if (!invoice || invoice.status === 'draft') {
      return {
        status: 404,
        headers: { 'content-type': 'text/plain' },
        body: 'Not found',
      };
    }
    const amount = (invoice.amount_due / 100).toFixed(2);
    const text = `Invoice ${invoice.number} (${invoice.id}), ${
      invoice.status
    }: ${amount} ${String(invoice.currency).toUpperCase()} due ${new Date(
      (invoice.due_date ?? invoice.created) * 1000,
    )
      .toISOString()
      .slice(0, 10)} (Stripe stand-in${
      parts[1] === 'pdf' ? ', no PDF rendering' : ''
    })`;
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: text,
    };
  }

  // ---- rendering, lookup, expansion ---------------------------------------

  private missing(kind: string, id: string, param = 'id', status = 404) {
    return new StripeApiError(
      status,
      `No such ${kind}: '${id}'`,
      'resource_missing',
      param,
    );
  }

  private renderItem(sub: Sub, item: Item): Obj {
    return {
      id: item.id,
      object: 'subscription_item',
      billing_thresholds: null,
      created: item.created,
      current_period_end: this.periodEnd(sub),
      current_period_start: this.periodStart(sub),
      discounts: [],
      metadata: { ...item.metadata },
      price: deepClone(this.prices.get(item.price)),
      quantity: item.quantity,
      subscription: sub.id,
      tax_rates: [],
    };
  }

  private renderSub(sub: Sub): Obj {
    const items = sub.items.map(item => this.renderItem(sub, item));
    const rendered = deepClone(sub.data);
    rendered.items = {
      object: 'list',
      data: items,
      has_more: false,
      total_count: items.length,
      url: `/v1/subscription_items?subscription=${sub.id}`,
    };
    // field order as Stripe prints it is not significant; keep `items` near the top
    return rendered;
  }

  private renderById(id: string): Obj | undefined {
    const prefix = id.split('_')[0];
    switch (prefix) {
      case 'cus':
        if (this.deletedCustomers.has(id))
          return { id, object: 'customer', deleted: true };
        return deepClone(this.customers.get(id));
      case 'prod':
        return deepClone(this.products.get(id));
      case 'price':
        return deepClone(this.prices.get(id));
      case 'sub': {
        const sub = this.subs.get(id);
        return sub ? this.renderSub(sub) : undefined;
      }
      case 'si':
        for (const sub of this.subs.values()) {
          const item = sub.items.find(i => i.id === id);
          if (item) return this.renderItem(sub, item);
        }
        return undefined;
      case 'in':
        return deepClone(this.invoices.get(id));
      case 'evt':
        return deepClone(this.eventsById.get(id));
      default:
        return undefined;
    }
  }

  private expandAll(body: Obj, paths: string[]): Obj {
    for (const path of paths) this.expandAt(body, path.split('.'), path);
    return body;
  }

  private expandAt(node: unknown, parts: string[], full: string) {
    if (Array.isArray(node)) {
      for (const n of node) this.expandAt(n, parts, full);
      return;
    }
    const cannot = () =>
      new StripeApiError(
        400,
        `This property cannot be expanded (${full}).`,
        undefined,
        'expand',
      );
    if (!isObject(node)) throw cannot();
    const [head, ...rest] = parts;
    if (!(head in node)) throw cannot();
    if (typeof node[head] === 'string') {
      const expanded = this.renderById(node[head]);
      if (!expanded) throw cannot();
      node[head] = expanded;
    } else if (
      rest.length === 0 &&
      !isObject(node[head]) &&
      node[head] !== null
    ) {
      throw cannot();
    }
    if (rest.length > 0 && node[head] !== null) {
      this.expandAt(node[head], rest, full);
    }
  }

  /** Stripe's list envelope over objects ordered newest first. */
  private page(all: Obj[], params: Obj, url: string): Obj {
    const limit: number = params.limit ?? 10;
    let data = all;
    if (params.starting_after !== undefined) {
      const i = all.findIndex(o => o.id === params.starting_after);
      // an unknown cursor: 400 resource_missing (the stand-in's choice)
      if (i < 0)
        throw this.missing(
          'object',
          params.starting_after,
          'starting_after',
          400,
        );
      data = all.slice(i + 1);
      return {
        object: 'list',
        data: data.slice(0, limit),
        has_more: data.length > limit,
        url,
      };
    }
    if (params.ending_before !== undefined) {
      const i = all.findIndex(o => o.id === params.ending_before);
      if (i < 0)
        throw this.missing(
          'object',
          params.ending_before,
          'ending_before',
          400,
        );
      data = all.slice(0, i);
      return {
        object: 'list',
        data: data.slice(Math.max(0, data.length - limit)),
        has_more: data.length > limit,
        url,
      };
    }
    return {
      object: 'list',
      data: data.slice(0, limit),
      has_more: data.length > limit,
      url,
    };
  }

  // ---- events -----------------------------------------------------------

  private emit(type: string, object: Obj, previous?: Obj) {
    const event: Obj = {
      id: randomId('evt', 24),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: this.now(),
      data: {
        object: deepClone(object),
        ...(previous ? { previous_attributes: deepClone(previous) } : {}),
      },
      livemode: false,
      pending_webhooks: this.webhooks.endpoints,
      // caused by an API request, or null (clock-driven work)
      request:
        this.ctx && this.virtualNow === undefined
          ? { id: this.ctx.requestId, idempotency_key: this.ctx.idempotencyKey }
          : { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    this.eventsById.set(event.id, event);
    this.webhooks.enqueue(deepClone(event));
  }

  /** Applies `change` and emits customer.subscription.updated when the rendering changed. */
  private updateSubscription(sub: Sub, change: () => void) {
    const before = this.renderSub(sub);
    change();
    const after = this.renderSub(sub);
    const previous = previousAttributes(before, after);
    if (Object.keys(previous).length > 0) {
      this.emit('customer.subscription.updated', after, previous);
    }
  }

  // ---- customers ----------------------------------------------------------

  private customer(id: string, param?: string): Obj {
    const customer = this.customers.get(id);
    if (!customer) {
      throw param
        ? this.missing('customer', id, param, 400)
        : this.missing('customer', id);
    }
    return customer;
  }

  private applyCustomer(c: Obj, p: Obj) {
    for (const key of ['email', 'name', 'description', 'phone'] as const) {
      if (p[key] !== undefined) c[key] = p[key];
    }
    if (p.address !== undefined) {
      c.address =
        p.address === null
          ? null
          : {
              city: null,
              country: null,
              line1: null,
              line2: null,
              postal_code: null,
              state: null,
              ...(c.address ?? {}),
              ...p.address,
            };
    }
    if (p.preferred_locales !== undefined)
      c.preferred_locales = p.preferred_locales ?? [];
    if (p.tax_exempt !== undefined) c.tax_exempt = p.tax_exempt ?? 'none';
    if (p.invoice_settings !== undefined) {
      const s = p.invoice_settings;
      if (s.footer !== undefined) c.invoice_settings.footer = s.footer;
      if (s.custom_fields !== undefined)
        c.invoice_settings.custom_fields = s.custom_fields;
    }
    c.metadata = mergeMetadata(c.metadata, p.metadata);
  }

  private createCustomer(p: Obj): Obj {
    const c: Obj = {
      id: randomId('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: this.now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: null,
      invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: {},
      name: null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    this.applyCustomer(c, p);
    // tax_id_data is accepted; tax ids are not rendered (no /tax_ids)
    this.customers.set(c.id, c);
    this.emit('customer.created', c);
    return deepClone(c);
  }

  private deleteCustomer(id: string): Obj {
    const c = this.customer(id);
    // deleting a customer cancels its subscriptions at once
    for (const sub of this.subs.values()) {
      if (sub.data.customer === id && sub.data.status !== 'canceled') {
        this.cancel(sub);
      }
    }
    this.customers.delete(id);
    this.deletedCustomers.add(id);
    this.emit('customer.deleted', c);
    return { id, object: 'customer', deleted: true };
  }

  // ---- products, prices -------------------------------------------------

  private product(id: string, param?: string): Obj {
    const product = this.products.get(id);
    if (!product) {
      throw param
        ? this.missing('product', id, param, 400)
        : this.missing('product', id);
    }
    return product;
  }

  private price(id: string, param?: string): Obj {
    const price = this.prices.get(id);
    if (!price) {
      throw param
        ? this.missing('price', id, param, 400)
        : this.missing('price', id);
    }
    return price;
  }

  private createProduct(p: Obj): Obj {
    const now = this.now();
    const product: Obj = {
      id: randomId('prod'),
      object: 'product',
      active: p.active ?? true,
      created: now,
      default_price: null,
      description: p.description ?? null,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: mergeMetadata({}, p.metadata),
      name: p.name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: p.tax_code ?? null,
      type: 'service',
      unit_label: p.unit_label ?? null,
      updated: now,
      url: p.url ?? null,
    };
    this.products.set(product.id, product);
    this.emit('product.created', product);
    return deepClone(product);
  }

  private updateProduct(id: string, p: Obj): Obj {
    const product = this.product(id);
    const before = deepClone(product);
    if (p.name !== undefined) product.name = p.name;
    for (const key of [
      'active',
      'description',
      'tax_code',
      'unit_label',
      'url',
    ]) {
      if (p[key] !== undefined) product[key] = p[key];
    }
    product.metadata = mergeMetadata(product.metadata, p.metadata);
    const previous = previousAttributes(before, product);
    if (Object.keys(previous).length > 0) {
      product.updated = this.now();
      this.emit('product.updated', product, previous);
    }
    return deepClone(product);
  }

  private deleteProduct(id: string): Obj {
    const product = this.product(id);
    if ([...this.prices.values()].some(p => p.product === id)) {
      throw new StripeApiError(
        400,
        'This product cannot be deleted because it has one or more user-created prices.',
      );
    }
    this.products.delete(id);
    this.emit('product.deleted', product);
    return { id, object: 'product', deleted: true };
  }

  private createPrice(p: Obj): Obj {
    if (p.product === undefined && p.product_data === undefined) {
      throw new StripeApiError(
        400,
        'Missing required param: product.',
        'parameter_missing',
        'product',
      );
    }
    if (p.unit_amount === undefined) {
      throw new StripeApiError(
        400,
        'Missing required param: unit_amount.',
        'parameter_missing',
        'unit_amount',
      );
    }
    const productId =
      p.product !== undefined
        ? this.product(p.product, 'product').id
        : this.createProduct(p.product_data).id;
    const price: Obj = {
      id: randomId('price'),
      object: 'price',
      active: p.active ?? true,
      billing_scheme: 'per_unit',
      created: this.now(),
      currency: String(p.currency).toLowerCase(),
      custom_unit_amount: null,
      livemode: false,
      lookup_key: p.lookup_key ?? null,
      metadata: mergeMetadata({}, p.metadata),
      nickname: p.nickname ?? null,
      product: productId,
      recurring: p.recurring
        ? {
            interval: p.recurring.interval,
            interval_count: p.recurring.interval_count ?? 1,
            meter: null,
            trial_period_days: null,
            usage_type: 'licensed',
          }
        : null,
      tax_behavior: p.tax_behavior ?? 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: p.recurring ? 'recurring' : 'one_time',
      unit_amount: p.unit_amount,
      unit_amount_decimal: String(p.unit_amount),
    };
    this.prices.set(price.id, price);
    this.emit('price.created', price);
    return deepClone(price);
  }

  private updatePrice(id: string, p: Obj): Obj {
    const price = this.price(id);
    const before = deepClone(price);
    if (p.active !== undefined) price.active = p.active;
    if (p.nickname !== undefined) price.nickname = p.nickname;
    if (p.lookup_key !== undefined) price.lookup_key = p.lookup_key;
    if (p.tax_behavior !== undefined) {
      if (
        price.tax_behavior !== 'unspecified' &&
        p.tax_behavior !== price.tax_behavior
      ) {
        throw new StripeApiError(
          400,
          'tax_behavior cannot be changed once it is set to inclusive or exclusive.',
          undefined,
          'tax_behavior',
        );
      }
      price.tax_behavior = p.tax_behavior;
    }
    price.metadata = mergeMetadata(price.metadata, p.metadata);
    const previous = previousAttributes(before, price);
    if (Object.keys(previous).length > 0) {
      this.emit('price.updated', price, previous);
    }
    return deepClone(price);
  }

  // ---- subscriptions ------------------------------------------------------

  private sub(id: string): Sub {
    const sub = this.subs.get(id);
    if (!sub) throw this.missing('subscription', id);
    return sub;
  }

  private periodStart(sub: Sub): number {
    return this.periodAt(sub, sub.period);
  }

  private periodEnd(sub: Sub): number {
    return this.periodAt(sub, sub.period + 1);
  }

  private periodAt(sub: Sub, n: number): number {
    const recurring = this.prices.get(sub.items[0].price)!.recurring;
    return addInterval(
      sub.data.billing_cycle_anchor,
      recurring.interval,
      recurring.interval_count * n,
      sub.anchorDay,
    );
  }

  /** A price usable on a subscription item, checked against the others'. */
  private subscriptionPrice(
    id: string,
    param: string,
    others: Obj[],
    currency?: string,
  ): Obj {
    const price = this.price(id, param);
    if (currency !== undefined && price.currency !== currency) {
      throw new StripeApiError(
        400,
        `The price's currency (${price.currency}) must match the subscription's currency (${currency}).`,
        undefined,
        param,
      );
    }
    if (price.type !== 'recurring') {
      throw new StripeApiError(
        400,
        'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
        undefined,
        param,
      );
    }
    if (!price.active) {
      throw new StripeApiError(
        400,
        'The price specified is inactive. This field only accepts active prices.',
        undefined,
        param,
      );
    }
    for (const other of others) {
      if (other.currency !== price.currency) {
        throw new StripeApiError(
          400,
          'All prices on a subscription must have the same currency.',
          undefined,
          param,
        );
      }
      if (
        other.recurring.interval !== price.recurring.interval ||
        other.recurring.interval_count !== price.recurring.interval_count
      ) {
        throw new StripeApiError(
          400,
          'All prices on a subscription must have the same recurring.interval and recurring.interval_count.',
          undefined,
          param,
        );
      }
    }
    return price;
  }

  private createSubscription(p: Obj): Obj {
    const customer = this.customer(p.customer, 'customer');
    if (p.items.length === 0) {
      throw new StripeApiError(
        400,
        'Missing required param: items.',
        'parameter_missing',
        'items',
      );
    }
    const collection = p.collection_method ?? 'charge_automatically';
    if (collection === 'send_invoice' && p.days_until_due === undefined) {
      throw new StripeApiError(
        400,
        'Missing required param: days_until_due.',
        'parameter_missing',
        'days_until_due',
      );
    }
    if (collection !== 'send_invoice' && p.days_until_due !== undefined) {
      throw new StripeApiError(
        400,
        'The days_until_due parameter can only be set when collection_method=send_invoice.',
        undefined,
        'days_until_due',
      );
    }
    const prices: Obj[] = [];
    p.items.forEach((item: Obj, i: number) => {
      if (item.price === undefined) {
        throw new StripeApiError(
          400,
          `Missing required param: items[${i}][price].`,
          'parameter_missing',
          `items[${i}][price]`,
        );
      }
      prices.push(
        this.subscriptionPrice(item.price, `items[${i}][price]`, prices),
      );
    });
    if (
      p.currency !== undefined &&
      p.currency.toLowerCase() !== prices[0].currency
    ) {
      throw new StripeApiError(
        400,
        'The currency must match the currency of the prices.',
        undefined,
        'currency',
      );
    }
    const now = this.now();
    const id = randomId('sub');
    const sub: Sub = {
      id,
      period: 0,
      anchorDay: new Date(now * 1000).getUTCDate(),
      items: p.items.map((item: Obj) => ({
        id: randomId('si'),
        price: item.price,
        quantity: item.quantity ?? 1,
        metadata: mergeMetadata({}, item.metadata),
        created: now,
      })),
      data: {
        id,
        object: 'subscription',
        application: null,
        application_fee_percent: null,
        automatic_tax: {
          disabled_reason: null,
          enabled: false,
          liability: null,
        },
        billing_cycle_anchor: now,
        billing_cycle_anchor_config: null,
        // flexible is the default billing mode of recent API versions (unconfirmed
        // for this version; the stand-in does not act on it)
        billing_mode: { flexible: null, type: 'flexible', updated_at: now },
        billing_schedules: [],
        billing_thresholds: null,
        cancel_at: null,
        cancel_at_period_end: p.cancel_at_period_end ?? false,
        canceled_at: null,
        cancellation_details: { comment: null, feedback: null, reason: null },
        collection_method: collection,
        created: now,
        currency: prices[0].currency,
        customer: customer.id,
        customer_account: null,
        days_until_due: p.days_until_due ?? null,
        default_payment_method: null,
        default_source: null,
        default_tax_rates: [],
        description: p.description ?? null,
        discounts: [],
        ended_at: null,
        invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
        latest_invoice: null,
        livemode: false,
        managed_payments: null,
        metadata: mergeMetadata({}, p.metadata),
        next_pending_invoice_item_invoice: null,
        on_behalf_of: null,
        pause_collection: null,
        payment_settings: {
          payment_method_options: null,
          payment_method_types: null,
          save_default_payment_method: 'off',
        },
        pending_invoice_item_interval: null,
        pending_setup_intent: null,
        pending_update: null,
        schedule: null,
        start_date: now,
        // send_invoice subscriptions are active at once; charge_automatically
        // ones wait for the first payment, and the stand-in has no payment
        // methods: `incomplete` until the invoice is paid (out of band)
        status: collection === 'send_invoice' ? 'active' : 'incomplete',
        test_clock: null,
        transfer_data: null,
        trial_end: null,
        trial_settings: {
          end_behavior: { missing_payment_method: 'create_invoice' },
        },
        trial_start: null,
      },
    };
    this.subs.set(id, sub);
    const invoice = this.createInvoice(sub, 'subscription_create', now, now);
    sub.data.latest_invoice = invoice.id;
    // causal order: customer.subscription.created, then invoice.created
    this.emit('customer.subscription.created', this.renderSub(sub));
    this.emit('invoice.created', invoice);
    if (collection === 'charge_automatically') this.finalize(invoice);
    return this.renderSub(sub);
  }

  private assertNotCanceled(sub: Sub, p: Obj) {
    if (
      sub.data.status !== 'canceled' &&
      sub.data.status !== 'incomplete_expired'
    )
      return;
    const allowed = ['metadata', 'expand'];
    if (Object.keys(p).some(k => !allowed.includes(k))) {
      throw new StripeApiError(
        400,
        'A canceled subscription can only update its metadata.',
      );
    }
  }

  private updateSubscriptionParams(id: string, p: Obj): Obj {
    const sub = this.sub(id);
    this.assertNotCanceled(sub, p);
    // validate everything before changing anything
    const items = sub.items.map(i => ({ ...i }));
    (p.items ?? []).forEach((change: Obj, i: number) => {
      const param = `items[${i}]`;
      let item: Item | undefined;
      if (change.id !== undefined) {
        item = items.find(x => x.id === change.id);
        if (!item)
          throw this.missing(
            'subscription item',
            change.id,
            `${param}[id]`,
            400,
          );
      }
      if (change.deleted) {
        if (!item) {
          throw new StripeApiError(
            400,
            'Missing required param: items[][id].',
            'parameter_missing',
            `${param}[id]`,
          );
        }
        items.splice(items.indexOf(item), 1);
        return;
      }
      if (!item) {
        if (change.price === undefined) {
          throw new StripeApiError(
            400,
            `Missing required param: ${param}[price].`,
            'parameter_missing',
            `${param}[price]`,
          );
        }
        item = {
          id: randomId('si'),
          price: change.price,
          quantity: 1,
          metadata: {},
          created: this.now(),
        };
        items.push(item);
      }
      if (change.price !== undefined) {
        const others = items
          .filter(x => x !== item)
          .map(x => this.prices.get(x.price)!);
        this.subscriptionPrice(
          change.price,
          `${param}[price]`,
          others,
          sub.data.currency,
        );
        item.price = change.price;
      }
      if (change.quantity !== undefined) item.quantity = change.quantity;
      item.metadata = mergeMetadata(item.metadata, change.metadata);
    });
    if (items.length === 0) {
      throw new StripeApiError(
        400,
        'A subscription must have at least one active price. To cancel a subscription, use the cancel endpoint (DELETE /v1/subscriptions/{id}).',
        undefined,
        'items',
      );
    }
    const collection = p.collection_method ?? sub.data.collection_method;
    if (p.days_until_due !== undefined && collection !== 'send_invoice') {
      throw new StripeApiError(
        400,
        'The days_until_due parameter can only be set when collection_method=send_invoice.',
        undefined,
        'days_until_due',
      );
    }
    this.updateSubscription(sub, () => {
      sub.items = items;
      if (p.collection_method !== undefined) {
        sub.data.collection_method = p.collection_method;
        if (p.collection_method !== 'send_invoice')
          sub.data.days_until_due = null;
      }
      if (p.days_until_due !== undefined)
        sub.data.days_until_due = p.days_until_due;
      if (p.cancel_at_period_end !== undefined)
        sub.data.cancel_at_period_end = p.cancel_at_period_end;
      if (p.description !== undefined) sub.data.description = p.description;
      if (p.pause_collection !== undefined) {
        // pause_collection only: status stays as it is (no .paused event)
        sub.data.pause_collection =
          p.pause_collection === null
            ? null
            : {
                behavior: p.pause_collection.behavior,
                resumes_at: p.pause_collection.resumes_at ?? null,
              };
      }
      sub.data.metadata = mergeMetadata(sub.data.metadata, p.metadata);
    });
    // prorations (create_prorations / always_invoice) are not computed
    return this.renderSub(sub);
  }

  private cancel(sub: Sub) {
    const now = this.now();
    sub.data.status = 'canceled';
    sub.data.canceled_at = now;
    sub.data.ended_at = now;
    sub.data.cancellation_details = {
      comment: null,
      feedback: null,
      reason: 'cancellation_requested',
    };
    this.emit('customer.subscription.deleted', this.renderSub(sub));
  }

  private cancelSubscription(id: string): Obj {
    const sub = this.sub(id);
    if (sub.data.status === 'canceled') {
      throw new StripeApiError(
        400,
        `This subscription has already been canceled: '${id}'.`,
      );
    }
    // invoice_now / prorate are accepted; with no prorations there is nothing to invoice
    this.cancel(sub);
    return this.renderSub(sub);
  }

  private endPeriod(sub: Sub) {
    if (sub.data.cancel_at_period_end) {
      this.cancel(sub);
      return;
    }
    const previousStart = this.periodStart(sub);
    const previousEnd = this.periodEnd(sub);
    // Stripe's order at a renewal: the subscription moves to the new period
    // (customer.subscription.updated), then the cycle invoice is created
    // (invoice.created) — the stand-in's reading of the docs
    let invoice: Obj = {};
    this.updateSubscription(sub, () => {
      sub.period += 1;
      invoice = this.createInvoice(
        sub,
        'subscription_cycle',
        previousStart,
        previousEnd,
      );
      sub.data.latest_invoice = invoice.id;
    });
    this.emit('invoice.created', invoice);
    const behavior = sub.data.pause_collection?.behavior;
    if (behavior === 'void') {
      // collection paused with behavior void: invoices are voided as they are created
      this.transition(this.invoices.get(invoice.id)!, 'void');
    }
  }

  private expireIncomplete(sub: Sub) {
    const invoice = this.invoices.get(sub.data.latest_invoice);
    if (invoice && invoice.status === 'open') this.transition(invoice, 'void');
    this.updateSubscription(sub, () => {
      sub.data.status = 'incomplete_expired';
      sub.data.ended_at = this.now();
    });
  }

  // ---- subscription items -----------------------------------------------

  private findItem(id: string): { sub: Sub; item: Item } {
    for (const sub of this.subs.values()) {
      const item = sub.items.find(i => i.id === id);
      if (item) return { sub, item };
    }
    throw this.missing('subscription item', id);
  }

  private createItem(p: Obj): Obj {
    const sub = this.subs.get(p.subscription);
    if (!sub)
      throw this.missing('subscription', p.subscription, 'subscription', 400);
    this.assertNotCanceled(sub, { items: true });
    this.subscriptionPrice(
      p.price,
      'price',
      sub.items.map(i => this.prices.get(i.price)!),
      sub.data.currency,
    );
    const item: Item = {
      id: randomId('si'),
      price: p.price,
      quantity: p.quantity ?? 1,
      metadata: mergeMetadata({}, p.metadata),
      created: this.now(),
    };
    this.updateSubscription(sub, () => sub.items.push(item));
    return this.renderItem(sub, item);
  }

  private updateItem(id: string, p: Obj): Obj {
    const { sub, item } = this.findItem(id);
    this.assertNotCanceled(sub, { items: true });
    if (p.price !== undefined) {
      this.subscriptionPrice(
        p.price,
        'price',
        sub.items.filter(i => i !== item).map(i => this.prices.get(i.price)!),
        sub.data.currency,
      );
    }
    this.updateSubscription(sub, () => {
      if (p.price !== undefined) item.price = p.price;
      if (p.quantity !== undefined) item.quantity = p.quantity;
      item.metadata = mergeMetadata(item.metadata, p.metadata);
    });
    return this.renderItem(sub, item);
  }

  private deleteItem(id: string): Obj {
    const { sub, item } = this.findItem(id);
    this.assertNotCanceled(sub, { items: true });
    if (sub.items.length === 1) {
      throw new StripeApiError(
        400,
        'A subscription must have at least one active price. To cancel a subscription, use the cancel endpoint (DELETE /v1/subscriptions/{id}).',
      );
    }
    this.updateSubscription(sub, () => {
      sub.items = sub.items.filter(i => i !== item);
    });
    return { id, object: 'subscription_item', deleted: true };
  }

  // ---- invoices -----------------------------------------------------------

  private invoice(id: string): Obj {
    const invoice = this.invoices.get(id);
    if (!invoice) throw this.missing('invoice', id);
    return invoice;
  }

  private subscriptionOf(invoice: Obj): Sub | undefined {
    const id = invoice.parent?.subscription_details?.subscription;
    return typeof id === 'string' ? this.subs.get(id) : undefined;
  }

  private createInvoice(
    sub: Sub,
    reason: string,
    periodStart: number,
    periodEnd: number,
  ): Obj {
    const now = this.now();
    const customer = this.customers.get(sub.data.customer);
    const id = randomId('in');
    const lineStart = this.periodStart(sub);
    const lineEnd = this.periodEnd(sub);
    const lines = sub.items.map(item => {
      const price = this.prices.get(item.price)!;
      const product = this.products.get(price.product);
      const amount = price.unit_amount * item.quantity;
      return {
        id: randomId('il'),
        object: 'line_item',
        amount,
        currency: price.currency,
        description: `${item.quantity} × ${product?.name ?? price.product}`,
        discount_amounts: [],
        discountable: true,
        discounts: [],
        invoice: id,
        livemode: false,
        metadata: {},
        parent: {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: sub.id,
            subscription_item: item.id,
          },
          type: 'subscription_item_details',
        },
        period: { end: lineEnd, start: lineStart },
        pretax_credit_amounts: [],
        pricing: {
          price_details: { price: price.id, product: price.product },
          type: 'price_details',
          unit_amount_decimal: String(price.unit_amount),
        },
        quantity: item.quantity,
        subscription: sub.id,
        subtotal: amount,
        taxes: [],
      };
    });
    const total = lines.reduce((sum, l) => sum + l.amount, 0);
    const sendInvoice = sub.data.collection_method === 'send_invoice';
    const behavior = sub.data.pause_collection?.behavior;
    const autoAdvance = behavior !== 'keep_as_draft';
    if (behavior === 'mark_uncollectible') this.uncollectibleOnFinalize.add(id);
    const invoice: Obj = {
      id,
      object: 'invoice',
      account_country: 'DE',
      account_name: 'dev-platform Stripe stand-in',
      account_tax_ids: null,
      amount_due: total,
      amount_overpaid: 0,
      amount_paid: 0,
      amount_paid_off_stripe: 0,
      amount_remaining: total,
      amount_shipping: 0,
      application: null,
      attempt_count: 0,
      attempted: false,
      auto_advance: autoAdvance,
      automatic_tax: {
        disabled_reason: null,
        enabled: false,
        liability: null,
        provider: null,
        status: null,
      },
      automatically_finalizes_at:
        autoAdvance && sendInvoice ? now + FINALIZE_AFTER_SECONDS : null,
      billing_reason: reason,
      collection_method: sub.data.collection_method,
      created: now,
      currency: sub.data.currency,
      custom_fields: customer?.invoice_settings.custom_fields ?? null,
      customer: sub.data.customer,
      customer_account: null,
      customer_address: customer?.address ?? null,
      customer_email: customer?.email ?? null,
      customer_name: customer?.name ?? null,
      customer_phone: customer?.phone ?? null,
      customer_shipping: null,
      customer_tax_exempt: customer?.tax_exempt ?? 'none',
      customer_tax_ids: [],
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      // the stand-in sets the due date when the invoice is created (created +
      // days_until_due); Stripe does not document whether drafts carry it
      due_date: sendInvoice ? now + (sub.data.days_until_due ?? 0) * DAY : null,
      effective_at: null,
      ending_balance: null,
      footer: customer?.invoice_settings.footer ?? null,
      from_invoice: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: {
        object: 'list',
        data: lines,
        has_more: false,
        total_count: lines.length,
        url: `/v1/invoices/${id}/lines`,
      },
      livemode: false,
      metadata: {},
      next_payment_attempt: null,
      number: null,
      on_behalf_of: null,
      // pinned shape: no top-level `subscription`
      parent: {
        quote_details: null,
        subscription_details: {
          metadata: { ...sub.data.metadata },
          subscription: sub.id,
        },
        type: 'subscription_details',
      },
      payment_settings: {
        default_mandate: null,
        payment_method_options: null,
        payment_method_types: null,
      },
      period_end: periodEnd,
      period_start: periodStart,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: 'draft',
      status_transitions: {
        finalized_at: null,
        marked_uncollectible_at: null,
        paid_at: null,
        voided_at: null,
      },
      subtotal: total,
      subtotal_excluding_tax: total,
      test_clock: null,
      total,
      total_discount_amounts: [],
      total_excluding_tax: total,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      webhooks_delivered_at: null,
    };
    this.invoices.set(id, invoice);
    return deepClone(invoice);
  }

  private finalize(invoiceOrCopy: Obj) {
    const invoice = this.invoices.get(invoiceOrCopy.id)!;
    const now = this.now();
    const customerId = invoice.customer as string;
    const n = (this.invoiceCounters.get(customerId) ?? 0) + 1;
    this.invoiceCounters.set(customerId, n);
    const prefix =
      this.customers.get(customerId)?.invoice_prefix ?? 'DEVPLATFORM';
    invoice.status = 'open';
    invoice.number = `${prefix}-${String(n).padStart(4, '0')}`;
    invoice.hosted_invoice_url = `${this.baseUrl}/invoice/${invoice.id}`;
    invoice.invoice_pdf = `${this.baseUrl}/invoice/${invoice.id}/pdf`;
    invoice.status_transitions.finalized_at = now;
    invoice.effective_at = now;
    invoice.automatically_finalizes_at = null;
    this.emit('invoice.finalized', invoice);
    if (this.uncollectibleOnFinalize.delete(invoice.id)) {
      this.transition(invoice, 'uncollectible');
    }
  }

  /** open/uncollectible → paid|void|uncollectible, with the event; checks done by the caller. */
  private transition(invoice: Obj, to: 'paid' | 'void' | 'uncollectible') {
    const now = this.now();
    invoice.status = to;
    if (to === 'paid') {
      invoice.amount_paid = invoice.amount_due;
      invoice.amount_remaining = 0;
      // paid out of band: the only way to pay in the stand-in
      invoice.amount_paid_off_stripe = invoice.amount_due;
      invoice.status_transitions.paid_at = now;
      this.emit('invoice.paid', invoice);
      const sub = this.subscriptionOf(invoice);
      if (
        sub &&
        ['incomplete', 'past_due', 'unpaid'].includes(sub.data.status) &&
        ![...this.invoices.values()].some(
          i =>
            i.id !== invoice.id &&
            i.status === 'open' &&
            this.overdue.has(i.id) &&
            this.subscriptionOf(i) === sub,
        )
      ) {
        this.updateSubscription(sub, () => {
          sub.data.status = 'active';
        });
      }
    } else if (to === 'void') {
      invoice.status_transitions.voided_at = now;
      this.emit('invoice.voided', invoice);
    } else {
      invoice.status_transitions.marked_uncollectible_at = now;
      this.emit('invoice.marked_uncollectible', invoice);
    }
  }

  /**
   * An illegal invoice transition: 400 with code status_transition_invalid
   * (one of the digest's codes; Stripe's exact code per action is unconfirmed),
   * invoice_not_editable for edits of a finalized invoice.
   */
  private illegal(invoice: Obj, action: string): StripeApiError {
    return new StripeApiError(
      400,
      `You cannot ${action} an invoice with status '${invoice.status}' (${invoice.id}).`,
      'status_transition_invalid',
    );
  }

  private invoiceAction(id: string, action: string, p: Obj): Obj {
    const invoice = this.invoice(id);
    const status = invoice.status;
    switch (action) {
      case 'finalize':
        if (status !== 'draft') throw this.illegal(invoice, 'finalize');
        if (p.auto_advance !== undefined) invoice.auto_advance = p.auto_advance;
        this.finalize(invoice);
        break;
      case 'pay':
        if (status !== 'open' && status !== 'uncollectible')
          throw this.illegal(invoice, 'pay');
        if (p.paid_out_of_band !== true) {
          // no payment methods in the stand-in: the attempt fails
          // (402 card_error, invoice.payment_failed, the invoice stays as it was)
          this.recordFailedAttempt(invoice);
          throw new StripeApiError(
            402,
            'The customer has no payment method the stand-in could charge; pay with paid_out_of_band=true.',
            'card_declined',
            undefined,
            'card_error',
          );
        }
        this.transition(invoice, 'paid');
        break;
      case 'void':
        if (status !== 'open' && status !== 'uncollectible')
          throw this.illegal(invoice, 'void');
        this.transition(invoice, 'void');
        break;
      case 'mark_uncollectible':
        if (status !== 'open')
          throw this.illegal(invoice, 'mark uncollectible');
        this.transition(invoice, 'uncollectible');
        break;
      case 'send':
        if (status !== 'open') throw this.illegal(invoice, 'send');
        if (invoice.collection_method !== 'send_invoice') {
          throw new StripeApiError(
            400,
            'You can only manually send an invoice if its collection method is `send_invoice`.',
          );
        }
        this.emit('invoice.sent', invoice);
        break;
      default:
        throw new Error(`unknown invoice action ${action}`);
    }
    return deepClone(invoice);
  }

  private updateInvoice(id: string, p: Obj): Obj {
    const invoice = this.invoice(id);
    const before = deepClone(invoice);
    const draftOnly = Object.keys(p).filter(
      k => !['metadata', 'expand'].includes(k),
    );
    if (invoice.status !== 'draft' && draftOnly.length > 0) {
      throw new StripeApiError(
        400,
        `You can only update ${draftOnly[0]} on a draft invoice; this one is ${invoice.status}.`,
        'invoice_not_editable',
        draftOnly[0],
      );
    }
    for (const key of ['description', 'footer', 'auto_advance', 'due_date']) {
      if (p[key] !== undefined) invoice[key] = p[key];
    }
    if (p.days_until_due !== undefined) {
      invoice.due_date = invoice.created + p.days_until_due * DAY;
    }
    if (p.auto_advance === false) invoice.automatically_finalizes_at = null;
    invoice.metadata = mergeMetadata(invoice.metadata, p.metadata);
    const previous = previousAttributes(before, invoice);
    if (Object.keys(previous).length > 0) {
      this.emit('invoice.updated', invoice, previous);
    }
    return deepClone(invoice);
  }

  private deleteInvoice(id: string): Obj {
    const invoice = this.invoice(id);
    if (invoice.status !== 'draft') throw this.illegal(invoice, 'delete');
    this.invoices.delete(id);
    const sub = this.subscriptionOf(invoice);
    if (sub && sub.data.latest_invoice === id) sub.data.latest_invoice = null;
    this.emit('invoice.deleted', invoice);
    return { id, object: 'invoice', deleted: true };
  }

  // ---- routes -------------------------------------------------------------

  private buildRoutes(): Route[] {
    const newestFirst = <T>(values: Iterable<T>) => [...values].reverse();
    const inRange = (value: number, r: Obj | undefined) =>
      !r ||
      ((r.gt === undefined || value > r.gt) &&
        (r.gte === undefined || value >= r.gte) &&
        (r.lt === undefined || value < r.lt) &&
        (r.lte === undefined || value <= r.lte));
    const statusEnum = str({
      enum: ['draft', 'open', 'paid', 'uncollectible', 'void'],
    });
    const none: EndpointParams = { fields: { expand } };
    return [
      // customers
      {
        method: 'POST',
        path: ['customers'],
        params: {
          fields: {
            ...CUSTOMER_FIELDS,
            tax_id_data: arr(
              obj(
                { type: str(), value: str() },
                { required: ['type', 'value'] },
              ),
            ),
          },
        },
        run: p => this.createCustomer(p),
      },
      {
        method: 'GET',
        path: ['customers'],
        params: { fields: { ...PAGE, email: str(), created: range } },
        run: p =>
          this.page(
            newestFirst(this.customers.values())
              .filter(c => p.email === undefined || c.email === p.email)
              .filter(c => inRange(c.created, p.created))
              .map(c => deepClone(c)),
            p,
            '/v1/customers',
          ),
      },
      {
        method: 'GET',
        path: ['customers', ':id'],
        params: none,
        run: (_p, [id]) => {
          if (this.deletedCustomers.has(id))
            return { id, object: 'customer', deleted: true };
          return deepClone(this.customer(id));
        },
      },
      {
        method: 'POST',
        path: ['customers', ':id'],
        params: { fields: CUSTOMER_FIELDS },
        run: (p, [id]) => {
          const c = this.customer(id);
          const before = deepClone(c);
          this.applyCustomer(c, p);
          const previous = previousAttributes(before, c);
          if (Object.keys(previous).length > 0)
            this.emit('customer.updated', c, previous);
          return deepClone(c);
        },
      },
      {
        method: 'DELETE',
        path: ['customers', ':id'],
        params: { fields: {} },
        run: (_p, [id]) => this.deleteCustomer(id),
      },
      // products
      {
        method: 'POST',
        path: ['products'],
        params: { fields: PRODUCT_FIELDS, required: ['name'] },
        run: p => this.createProduct(p),
      },
      {
        method: 'GET',
        path: ['products'],
        params: {
          fields: { ...PAGE, active: bool, ids: arr(str()), created: range },
        },
        run: p =>
          this.page(
            newestFirst(this.products.values())
              .filter(x => p.active === undefined || x.active === p.active)
              .filter(x => p.ids === undefined || p.ids.includes(x.id))
              .filter(x => inRange(x.created, p.created))
              .map(x => deepClone(x)),
            p,
            '/v1/products',
          ),
      },
      {
        method: 'GET',
        path: ['products', ':id'],
        params: none,
        run: (_p, [id]) => deepClone(this.product(id)),
      },
      {
        method: 'POST',
        path: ['products', ':id'],
        params: { fields: PRODUCT_FIELDS },
        run: (p, [id]) => this.updateProduct(id, p),
      },
      {
        method: 'DELETE',
        path: ['products', ':id'],
        params: { fields: {} },
        run: (_p, [id]) => this.deleteProduct(id),
      },
      // prices (no DELETE: archive with active=false)
      {
        method: 'POST',
        path: ['prices'],
        params: {
          fields: {
            currency: str(),
            unit_amount: int({ min: 0 }),
            recurring: obj(
              {
                interval: str({ enum: ['day', 'week', 'month', 'year'] }),
                interval_count: int({ min: 1 }),
              },
              { required: ['interval'] },
            ),
            product: str(),
            product_data: obj(
              { name: str(), metadata, unit_label: str(), tax_code: str() },
              { required: ['name'] },
            ),
            active: bool,
            nickname: str(),
            lookup_key: str(),
            metadata,
            tax_behavior: str({
              enum: ['exclusive', 'inclusive', 'unspecified'],
            }),
            expand,
          },
          required: ['currency'],
        },
        run: p => this.createPrice(p),
      },
      {
        method: 'GET',
        path: ['prices'],
        params: {
          fields: {
            ...PAGE,
            active: bool,
            product: str(),
            currency: str(),
            type: str({ enum: ['one_time', 'recurring'] }),
            lookup_keys: arr(str()),
            created: range,
          },
        },
        run: p =>
          this.page(
            newestFirst(this.prices.values())
              // inactive prices are listed only when asked for (active=false)
              .filter(x => x.active === (p.active ?? true))
              .filter(x => p.product === undefined || x.product === p.product)
              .filter(
                x => p.currency === undefined || x.currency === p.currency,
              )
              .filter(x => p.type === undefined || x.type === p.type)
              .filter(
                x =>
                  p.lookup_keys === undefined ||
                  p.lookup_keys.includes(x.lookup_key),
              )
              .filter(x => inRange(x.created, p.created))
              .map(x => deepClone(x)),
            p,
            '/v1/prices',
          ),
      },
      {
        method: 'GET',
        path: ['prices', ':id'],
        params: none,
        run: (_p, [id]) => deepClone(this.price(id)),
      },
      {
        method: 'POST',
        path: ['prices', ':id'],
        params: { fields: PRICE_UPDATE_FIELDS },
        run: (p, [id]) => this.updatePrice(id, p),
      },
      // subscriptions
      {
        method: 'POST',
        path: ['subscriptions'],
        params: {
          fields: {
            customer: str(),
            items: arr(
              obj({ price: str(), quantity: int({ min: 0 }), metadata }),
            ),
            collection_method: str({ enum: COLLECTION_METHODS }),
            days_until_due: int({ min: 0 }),
            metadata,
            proration_behavior: str({ enum: PRORATION_BEHAVIORS }),
            payment_behavior: str({ enum: PAYMENT_BEHAVIORS }),
            currency: str(),
            description: str(),
            cancel_at_period_end: bool,
            off_session: bool,
            expand,
          },
          required: ['customer', 'items'],
        },
        run: p => this.createSubscription(p),
      },
      {
        method: 'GET',
        path: ['subscriptions'],
        params: {
          fields: {
            ...PAGE,
            customer: str(),
            price: str(),
            status: str({ enum: [...SUBSCRIPTION_STATUSES, 'all', 'ended'] }),
            collection_method: str({ enum: COLLECTION_METHODS }),
            created: range,
          },
        },
        run: p =>
          this.page(
            newestFirst(this.subs.values())
              .filter(
                s => p.customer === undefined || s.data.customer === p.customer,
              )
              .filter(
                s =>
                  p.price === undefined ||
                  s.items.some(i => i.price === p.price),
              )
              .filter(
                s =>
                  p.collection_method === undefined ||
                  s.data.collection_method === p.collection_method,
              )
              .filter(s => {
                const status = s.data.status;
                // by default, canceled subscriptions are not listed
                if (p.status === undefined) return status !== 'canceled';
                if (p.status === 'all') return true;
                if (p.status === 'ended')
                  return ['canceled', 'incomplete_expired'].includes(status);
                return status === p.status;
              })
              .filter(s => inRange(s.data.created, p.created))
              .map(s => this.renderSub(s)),
            p,
            '/v1/subscriptions',
          ),
      },
      {
        method: 'GET',
        path: ['subscriptions', ':id'],
        params: none,
        run: (_p, [id]) => this.renderSub(this.sub(id)),
      },
      {
        method: 'POST',
        path: ['subscriptions', ':id'],
        params: {
          fields: {
            items: arr(
              obj({
                id: str(),
                price: str(),
                quantity: int({ min: 0 }),
                deleted: bool,
                clear_usage: bool,
                metadata,
              }),
            ),
            metadata,
            pause_collection: obj(
              {
                behavior: str({
                  enum: ['keep_as_draft', 'mark_uncollectible', 'void'],
                }),
                resumes_at: int(),
              },
              { required: ['behavior'], emptyable: true },
            ),
            collection_method: str({ enum: COLLECTION_METHODS }),
            days_until_due: int({ min: 0 }),
            proration_behavior: str({ enum: PRORATION_BEHAVIORS }),
            proration_date: int(),
            payment_behavior: str({ enum: PAYMENT_BEHAVIORS }),
            cancel_at_period_end: bool,
            description: str({ emptyable: true }),
            off_session: bool,
            expand,
          },
        },
        run: (p, [id]) => this.updateSubscriptionParams(id, p),
      },
      {
        method: 'DELETE',
        path: ['subscriptions', ':id'],
        params: {
          fields: {
            invoice_now: bool,
            prorate: bool,
            cancellation_details: obj({
              comment: str({ emptyable: true }),
              feedback: str({ emptyable: true }),
            }),
            expand,
          },
        },
        run: (_p, [id]) => this.cancelSubscription(id),
      },
      // subscription items
      {
        method: 'GET',
        path: ['subscription_items'],
        params: {
          fields: { ...PAGE, subscription: str() },
          required: ['subscription'],
        },
        run: p => {
          const sub = this.subs.get(p.subscription);
          if (!sub)
            throw this.missing(
              'subscription',
              p.subscription,
              'subscription',
              400,
            );
          return this.page(
            sub.items.map(i => this.renderItem(sub, i)),
            p,
            '/v1/subscription_items',
          );
        },
      },
      {
        method: 'POST',
        path: ['subscription_items'],
        params: {
          fields: {
            subscription: str(),
            price: str(),
            quantity: int({ min: 0 }),
            metadata,
            proration_behavior: str({ enum: PRORATION_BEHAVIORS }),
            proration_date: int(),
            payment_behavior: str({ enum: PAYMENT_BEHAVIORS }),
            expand,
          },
          required: ['subscription', 'price'],
        },
        run: p => this.createItem(p),
      },
      {
        method: 'GET',
        path: ['subscription_items', ':id'],
        params: none,
        run: (_p, [id]) => {
          const { sub, item } = this.findItem(id);
          return this.renderItem(sub, item);
        },
      },
      {
        method: 'POST',
        path: ['subscription_items', ':id'],
        params: {
          fields: {
            price: str(),
            quantity: int({ min: 0 }),
            metadata,
            proration_behavior: str({ enum: PRORATION_BEHAVIORS }),
            proration_date: int(),
            payment_behavior: str({ enum: PAYMENT_BEHAVIORS }),
            off_session: bool,
            expand,
          },
        },
        run: (p, [id]) => this.updateItem(id, p),
      },
      {
        method: 'DELETE',
        path: ['subscription_items', ':id'],
        params: {
          fields: {
            proration_behavior: str({ enum: PRORATION_BEHAVIORS }),
            proration_date: int(),
            clear_usage: bool,
          },
        },
        run: (_p, [id]) => this.deleteItem(id),
      },
      // invoices
      {
        method: 'GET',
        path: ['invoices'],
        params: {
          fields: {
            ...PAGE,
            customer: str(),
            subscription: str(),
            status: statusEnum,
            collection_method: str({ enum: COLLECTION_METHODS }),
            created: range,
            due_date: range,
          },
        },
        run: p =>
          this.page(
            newestFirst(this.invoices.values())
              .filter(
                i => p.customer === undefined || i.customer === p.customer,
              )
              .filter(
                i =>
                  p.subscription === undefined ||
                  i.parent?.subscription_details?.subscription ===
                    p.subscription,
              )
              .filter(i => p.status === undefined || i.status === p.status)
              .filter(
                i =>
                  p.collection_method === undefined ||
                  i.collection_method === p.collection_method,
              )
              .filter(i => inRange(i.created, p.created))
              .filter(
                i =>
                  p.due_date === undefined ||
                  (i.due_date !== null && inRange(i.due_date, p.due_date)),
              )
              .map(i => deepClone(i)),
            p,
            '/v1/invoices',
          ),
      },
      {
        method: 'GET',
        path: ['invoices', ':id'],
        params: none,
        run: (_p, [id]) => deepClone(this.invoice(id)),
      },
      {
        method: 'POST',
        path: ['invoices', ':id'],
        params: {
          fields: {
            metadata,
            description: str({ emptyable: true }),
            footer: str({ emptyable: true }),
            auto_advance: bool,
            days_until_due: int({ min: 0 }),
            due_date: int(),
            expand,
          },
        },
        run: (p, [id]) => this.updateInvoice(id, p),
      },
      {
        method: 'DELETE',
        path: ['invoices', ':id'],
        params: { fields: {} },
        run: (_p, [id]) => this.deleteInvoice(id),
      },
      ...(['finalize', 'send', 'void', 'mark_uncollectible'] as const).map(
        (action): Route => ({
          method: 'POST',
          path: ['invoices', ':id', action],
          params: {
            fields: {
              expand,
              ...(action === 'finalize' ? { auto_advance: bool } : {}),
            },
          },
          run: (p, [id]) => this.invoiceAction(id, action, p),
        }),
      ),
      {
        method: 'POST',
        path: ['invoices', ':id', 'pay'],
        params: { fields: { paid_out_of_band: bool, expand } },
        run: (p, [id]) => this.invoiceAction(id, 'pay', p),
      },
      // events
      {
        method: 'GET',
        path: ['events'],
        params: {
          fields: {
            ...PAGE,
            type: str(),
            types: arr(str()),
            created: range,
            delivery_success: bool,
          },
        },
        run: p => {
          // `type` accepts a trailing wildcard: invoice.*
          const matches = (pattern: string, type: string) =>
            pattern.endsWith('*')
              ? type.startsWith(pattern.slice(0, -1))
              : type === pattern;
          return this.page(
            newestFirst(this.events)
              .filter(e => p.type === undefined || matches(p.type, e.type))
              .filter(
                e =>
                  p.types === undefined ||
                  p.types.some((t: string) => matches(t, e.type)),
              )
              .filter(e => inRange(e.created, p.created))
              .map(e => deepClone(e)),
            p,
            '/v1/events',
          );
        },
      },
      {
        method: 'GET',
        path: ['events', ':id'],
        params: none,
        run: (_p, [id]) => {
          const event = this.eventsById.get(id);
          if (!event) throw this.missing('event', id);
          return deepClone(event);
        },
      },
    ];
  }
}
