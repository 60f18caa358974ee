/**
 * Development stand-ins of Authentik, Stalwart, OCIS and Stripe (their APIs
 * as documented), with a fault-injection control endpoint.
 *
 * @packageDocumentation
 */
export { startDevPlatform } from './platform';
export { STRIPE_API_VERSION, StripeControlError } from './stripe';
export { devPlatformProvisioningConfig } from './portalConfig';
export { DEV_PLATFORM_CREDENTIALS, DEV_SYSTEMS } from './types';
export type {
  DevCall,
  DevFault,
  DevPlatform,
  DevPlatformOptions,
  DevPlatformSeed,
  DevPlatformSettings,
  DevPlatformState,
  DevStripeControl,
  DevSystem,
  StripeState,
  StripeWebhookDelivery,
} from './types';
