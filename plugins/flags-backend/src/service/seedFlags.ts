import { SeedFlag } from './FlagService';

const none = { plans: [], tenants: [], partners: [], environments: [] };
const PLATFORM = 'group:default/dezky-platform-admins';

/**
 * The ten flags the portal starts with (docs/flags.md#seeded-flags), created
 * on startup when absent and never overwritten: operators' edits survive
 * restarts. New features start off; kill switches start on (the feature
 * runs; killing it turns it off).
 */
export const SEED_FLAGS: SeedFlag[] = [
  {
    key: 'jmap_native_v2',
    description:
      'Mail through Stalwart’s native JMAP API (the v2 client) instead of the IMAP bridge',
    type: 'release',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'gdpr_export_v2',
    description:
      'GDPR export v2: one archive per user across mail (Stalwart), files (OCIS) and identity (Authentik)',
    type: 'release',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'new_billing_engine',
    description:
      'Stripe billing engine: invoices, partner payouts and platform summaries (live money paths also need BILLING_STRIPE_ENABLED)',
    type: 'release',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'oci_versioning',
    description: 'File versioning in the tenant’s OCIS spaces',
    type: 'release',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'collabora_coediting',
    description:
      'Real-time co-editing of office documents in Collabora from OCIS',
    type: 'experiment',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'passkey_login',
    description: 'Passkey (WebAuthn) sign-in through Authentik',
    type: 'experiment',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'storage_quota_enforcement',
    description:
      'Enforce the plan’s storage quota in OCIS: uploads over quota are refused',
    type: 'operational',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'maintenance_banner',
    description: 'Show the maintenance banner in the customer portal',
    type: 'operational',
    state: 'off',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'tenant_provisioning',
    description:
      'Automatic provisioning of new tenants in Authentik, Stalwart and OCIS; kill to pause provisioning',
    type: 'kill-switch',
    state: 'on',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
  {
    key: 'outbound_mail',
    description:
      'Outbound mail delivery through Stalwart; kill to hold outbound queues',
    type: 'kill-switch',
    state: 'on',
    pct: 0,
    scope: none,
    owner: PLATFORM,
  },
];
