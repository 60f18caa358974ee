/**
 * Development stand-ins of Authentik, Stalwart and OCIS (their APIs as
 * documented), with a fault-injection control endpoint.
 *
 * @packageDocumentation
 */
export { startDevPlatform } from './platform';
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
  DevSystem,
} from './types';
