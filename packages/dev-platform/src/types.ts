/*
 * Public types of @internal/dev-platform.
 */
import type { DnsRecord, DnsRecordType } from './dns';
import type { StripeState } from './stripe';
import type { StripeWebhookDelivery } from './stripeWebhooks';

export type { DnsRecord, DnsRecordType, StripeState, StripeWebhookDelivery };

/** The products the platform stands in for. */
export type DevSystem = 'authentik' | 'stalwart' | 'ocis' | 'stripe';

/** The systems, in the order they are started and listed. */
export const DEV_SYSTEMS: readonly DevSystem[] = [
  'authentik',
  'stalwart',
  'ocis',
  'stripe',
] as const;

/**
 * A fault injected into one system. Replaces the system's previous fault as a
 * whole (setFault / PUT /faults/:system).
 */
export interface DevFault {
  /** The system's port stops accepting connections (ECONNREFUSED); false/absent: listening again on the same port. */
  down?: boolean;
  /** Every answer of that system delayed by N ms. */
  slowMs?: number;
  /** 429 with Retry-After to the next `count` calls (default: every call until cleared), in the product's 429 shape. */
  tooManyRequests?: { retryAfterSeconds: number; count?: number };
  /** 500 (product's error shape) to the next N calls. */
  failNext?: number;
  /** At most N requests per second (sliding 1 s window); excess: 429 with an honest Retry-After. */
  rateLimit?: number;
  /**
   * 500 (product's error shape) to every request whose path (without query
   * string) starts with one of these prefixes, e.g. `/v1/subscriptions/sub_123`,
   * until cleared. Plain string prefixes: `/v1/subscriptions/sub_1` also
   * matches `/v1/subscriptions/sub_12`. Such requests do not consume failNext.
   */
  failPaths?: string[];
}

export interface DevPlatformOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port) for every system and the control endpoint. */
  ports?: Partial<Record<DevSystem | 'control' | 'dns', number>>;
  /** Every answer of every system delayed by N ms. */
  latencyMs?: number;
  /** Default 1000: delay before the automatic DKIM signatures of a new Stalwart domain appear. */
  dkimDelayMs?: number;
  /** Default 300: lifetime of the OCIS access tokens issued by the Authentik token endpoint. */
  accessTokenTtlSeconds?: number;
  /**
   * Extension (not in the original brief): whether the Authentik stand-in's
   * brand has a recovery flow (default true). Also switchable at run time with
   * DevPlatform.configure / PUT /settings on the control endpoint.
   */
  authentikRecoveryFlow?: boolean;
  /**
   * Default false: the Stripe stand-in's clock follows the wall clock (plus
   * what was advanced). True: it stands still except when advanced (tests).
   */
  stripeFrozenClock?: boolean;
  /**
   * The Stripe stand-in's webhook endpoint from the start, restored by every
   * reset (scripts/dev-platform --stripe-webhook-url). Default: none.
   */
  stripeWebhook?: {
    url: string;
    secret?: string;
    autoDeliver?: boolean;
    retryAfterMs?: number;
  };
}

/** Run-time settings (extension): DevPlatform.configure, PUT /settings. */
export interface DevPlatformSettings {
  /** The Authentik brand has a recovery flow: POST /core/users/{id}/recovery/ answers a link (true) or 400 "No recovery flow set." (false). */
  authentikRecoveryFlow: boolean;
}

export interface DevCall {
  system: DevSystem;
  method: string;
  /** Path with query string. */
  path: string;
  /** 0 while the answer is not yet decided. */
  status: number;
  /** ISO time of arrival. */
  at: string;
}

export interface DevPlatformState {
  authentik: {
    groups: object[];
    users: object[];
    /** Extension: authenticated sessions as GET /core/authenticated_sessions/ renders them. */
    sessions: object[];
    /** Token endpoint counters: successful grants and rejected requests. */
    tokens: { grants: number; rejected: number };
  };
  stalwart: {
    domains: object[];
    dkimSignatures: object[];
    accounts: object[];
    /** Extension: x:MailingList objects. */
    mailingLists: object[];
  };
  ocis: {
    drives: object[];
    /** Extension: users created through the API (the service user excluded). */
    users: object[];
    /** Extension. */
    groups: object[];
  };
  /** Everything as the v1 API renders it, the clock, the webhook endpoint and its deliveries. */
  stripe: StripeState;
  /** The DNS stand-in's records (dns.ts). */
  dns: { records: DnsRecord[] };
}

export interface DevDnsControl {
  /** Adds a record → whether it was new. */
  publish(record: DnsRecord): boolean;
  /** Removes the records at name (of type, with value when given) → how many. */
  remove(filter: {
    name: string;
    type?: DnsRecordType;
    value?: string;
  }): number;
  records(): DnsRecord[];
}

export interface DevPlatform {
  /** e.g. http://127.0.0.1:7020 (no trailing slash). */
  /** dns: `<host>:<port>` (UDP and TCP), as provisioning.domains.resolvers takes it. */
  urls: Record<DevSystem | 'control' | 'dns', string>;
  /** Replaces that system's fault; throws on unknown keys or bad values. */
  setFault(system: DevSystem, fault: DevFault): void;
  clearFaults(system?: DevSystem): void;
  /** What exists, as each product's own GET would render it. */
  state(): DevPlatformState;
  /** Every request received, in order of arrival, including refused/faulted ones. */
  calls(system?: DevSystem): DevCall[];
  /** Empty state, faults and call log (settings are kept). */
  reset(): void;
  stop(): Promise<void>;
  /** Extension: change run-time settings (see DevPlatformSettings). */
  configure(settings: Partial<DevPlatformSettings>): void;
  /** Extension: test seeding that has no product API (sessions, devices, space usage). */
  seed: DevPlatformSeed;
  /** The Stripe stand-in's clock and webhook delivery (also on the control endpoint). */
  stripe: DevStripeControl;
  /** The DNS stand-in's records: publish, remove, list (dns.ts). */
  dns: DevDnsControl;
}

/** Control of the Stripe stand-in: its clock and its webhook endpoint. */
export interface DevStripeControl {
  /** The stand-in's clock, unix seconds (wall clock + the time advanced). */
  now(): number;
  /** Moves the clock forward, running what falls due on the way (finalizing drafts, past due, renewals); the new time. */
  advanceClock(seconds: number): number;
  /**
   * Where events are POSTed; undefined: nowhere. `secret` defaults to the
   * development webhook secret, `autoDeliver` to true, `retryAfterMs` to none
   * (failed deliveries wait for deliverWebhooks; a positive number re-sends
   * the pending events that many ms after a failure, in order, the delay
   * doubling per failed round up to 8×).
   */
  setWebhook(
    config:
      | {
          url: string;
          secret?: string;
          autoDeliver?: boolean;
          retryAfterMs?: number;
        }
      | undefined,
  ): void;
  /** The webhook endpoint in force (`retryAfterMs` only when set). */
  webhook():
    | {
        url: string;
        secret: string;
        autoDeliver: boolean;
        retryAfterMs?: number;
      }
    | undefined;
  /** Resolves once every queued delivery was answered; all deliveries so far. */
  flushWebhooks(): Promise<StripeWebhookDelivery[]>;
  /** Sends these events now, in this order (duplicates, out of order); without ids every pending one. */
  deliverWebhooks(eventIds?: string[]): Promise<StripeWebhookDelivery[]>;
  /**
   * A failed payment attempt on an open invoice: attempt_count + 1, attempted,
   * invoice.payment_failed (status stays open); the invoice. Throws
   * StripeControlError (status 404 unknown, 400 not open).
   */
  failInvoicePayment(invoiceId: string): object;
  /**
   * Pays an open/uncollectible invoice out of band (as POST /v1/invoices/:id/pay
   * paid_out_of_band=true): invoice.paid; the invoice. Throws StripeControlError.
   */
  payInvoice(invoiceId: string): object;
}

/** Extension: state the products create on their own (user logins, MFA enrolment, files), for tests. */
export interface DevPlatformSeed {
  /** An Authentik authenticated session of that user (as after an interactive login); returns the session as the API renders it. */
  authentikSession(
    username: string,
    details?: { lastIp?: string; userAgent?: string },
  ): object;
  /** An Authentik MFA device of that user; returns it as /authenticators/admin/all/ renders it. */
  authentikDevice(
    userPk: number,
    details?: { name?: string; type?: string; confirmed?: boolean },
  ): object;
  /** Bytes used in an OCIS space (drives the computed quota remaining/state). */
  ocisDriveUsage(driveId: string, usedBytes: number): void;
}

export const DEV_PLATFORM_CREDENTIALS = {
  authentik: {
    apiToken: 'dev-authentik-api-token',
    /** Extension: a valid token of a user without permissions (403 on create, empty lists, 404 on detail). */
    unprivilegedApiToken: 'dev-authentik-unprivileged-token',
  },
  stalwart: {
    username: 'admin',
    password: 'dev-stalwart-admin',
    /** A Bearer API key (API_ + base64url of "dev-stalwart-api-key"). */
    apiKey: 'API_ZGV2LXN0YWx3YXJ0LWFwaS1rZXk',
  },
  ocis: {
    /** On the authentik stand-in. */
    tokenPath: '/application/o/token/',
    clientId: 'dezky-portal-ocis',
    bootstrapRefreshToken: 'dev-ocis-bootstrap-refresh-token',
  },
  stripe: {
    /** The secret API key (`Authorization: Bearer …`, or the Basic user name). */
    secretKey: 'sk_test_dev_platform',
    /** Default signing secret of the webhook endpoint. */
    webhookSecret: 'whsec_dev_platform',
  },
} as const;
