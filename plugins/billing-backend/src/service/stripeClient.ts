import { Config } from '@backstage/config';
import { BillingStatus } from '@internal/plugin-billing-common';
import Stripe from 'stripe';

/**
 * The Stripe API version the `stripe` SDK this plugin pins (23.2.0) speaks;
 * every request sends it, so shapes never change under us
 * (docs/billing.md#stripe).
 */
export const STRIPE_API_VERSION = '2026-11-18.endive';

/** The flag that decides per tenant whether the engine bills it through Stripe. */
export const BILLING_ENGINE_FLAG = 'new_billing_engine';

/** What config `billing.stripe` turns on. */
export interface StripeConnection {
  /** Absent while Stripe is not connected: billing is kept locally only. */
  client?: Stripe;
  /** The endpoint secret webhooks are signed with (`whsec_…`). */
  webhookSecret?: string;
  status: BillingStatus['stripe'];
  /** `days_until_due` of the invoices of new subscriptions. */
  daysUntilDue: number;
}

/**
 * A boolean setting that may come from the environment: an unset `${VAR}`
 * leaves the key out (→ `fallback`), and 'true'/'false' arrive as strings.
 * Anything else stops the start-up with the key named.
 */
export function readFlag(
  config: Config,
  key: string,
  fallback: boolean,
): boolean {
  const raw = config.getOptional(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`${key} must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * The Stripe SDK as config `billing.stripe` sets it up:
 * - `enabled` (default false) and `secretKey` turn live calls on; without
 *   either, no client is made and billing is kept locally ("Stripe is not
 *   connected"), so the backend starts with no keys at all;
 * - `apiUrl` points the SDK at another server speaking Stripe's API (the
 *   development stand-in, `http://127.0.0.1:7024`); absent, api.stripe.com;
 * - `webhookSecret` verifies `POST /api/billing/stripe/webhook`;
 * - `daysUntilDue` (default 14) of `send_invoice` subscriptions.
 */
export function connectStripe(config: Config): StripeConnection {
  const daysUntilDue =
    config.getOptionalNumber('billing.stripe.daysUntilDue') ?? 14;
  if (!Number.isInteger(daysUntilDue) || daysUntilDue < 0) {
    throw new Error('billing.stripe.daysUntilDue must be a whole number ≥ 0');
  }
  const secretKey = config.getOptionalString('billing.stripe.secretKey');
  const webhookSecret = config.getOptionalString(
    'billing.stripe.webhookSecret',
  );
  const enabled = readFlag(config, 'billing.stripe.enabled', false);
  const base = { daysUntilDue, ...(webhookSecret ? { webhookSecret } : {}) };
  if (!enabled || !secretKey) {
    return {
      ...base,
      status: {
        connected: false,
        livemode: false,
        message: enabled
          ? 'Stripe is not connected: billing.stripe.enabled is on but billing.stripe.secretKey is not set; billing is kept locally'
          : 'Stripe is not connected: billing is kept locally (billing.stripe.enabled is off)',
      },
    };
  }
  const apiUrl = config.getOptionalString('billing.stripe.apiUrl');
  let endpoint: { host: string; port: number; protocol: 'http' | 'https' } = {
    host: 'api.stripe.com',
    port: 443,
    protocol: 'https',
  };
  if (apiUrl) {
    const parsed = new URL(apiUrl);
    const protocol = parsed.protocol === 'http:' ? 'http' : 'https';
    const defaultPort = protocol === 'http' ? 80 : 443;
    endpoint = {
      host: parsed.hostname,
      protocol,
      port: parsed.port ? Number(parsed.port) : defaultPort,
    };
  }
  const client = new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    ...endpoint,
    // billing retries on its own schedule (the billing reconcile); a
    // request that fails leaves the tenant out of sync, not a hung request
    maxNetworkRetries: 0,
    timeout: 20_000,
    appInfo: { name: 'dezky-operator-portal' },
  });
  const livemode = secretKey.startsWith('sk_live_');
  return {
    ...base,
    client,
    status: {
      connected: true,
      livemode,
      message: `Stripe is connected (${livemode ? 'live mode' : 'test mode'}${
        apiUrl ? `, ${new URL(apiUrl).origin}` : ''
      })`,
    },
  };
}
