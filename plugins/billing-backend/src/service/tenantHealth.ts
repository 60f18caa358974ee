import {
  BillingConditionKind,
  TENANT_HEALTHS,
  TenantHealth,
} from '@internal/plugin-billing-common';
import { TenantPhase } from '@internal/plugin-provisioning-common';

/**
 * An integration's status as the health plugin answers it
 * (`GET /api/health/status`, health-common's `HealthStatus`).
 */
export type IntegrationHealth = 'ok' | 'warn' | 'bad' | 'planned';

export const INTEGRATION_HEALTHS: readonly IntegrationHealth[] = [
  'ok',
  'warn',
  'bad',
  'planned',
];

/** What a tenant's health is computed from. */
export interface TenantHealthInputs {
  /** Its provisioning phase; undefined: provisioning does not know the tenant. */
  phase?: TenantPhase;
  /** Its billing condition (`billing_tenants.condition_kind`). */
  condition: BillingConditionKind;
  /**
   * The integrations it uses (its `dependsOn` relations to Integration
   * entities), each with its status; `status` undefined: the health plugin
   * does not know the integration.
   */
  integrations: Array<{ ref: string; status?: IntegrationHealth }>;
}

export interface TenantHealthResult {
  health: TenantHealth;
  /** Why it is not ok: one entry per part that is not ok, in the order provisioning, billing, integrations (by ref). Empty when ok. */
  reasons: string[];
}

/** Provisioning phase → health. */
export const PHASE_HEALTH: Record<TenantPhase, TenantHealth> = {
  active: 'ok',
  pending: 'warn',
  degraded: 'bad',
};

/** Billing condition → health (see docs/billing.md for what each condition means). */
export const CONDITION_HEALTH: Record<BillingConditionKind, TenantHealth> = {
  // billed, and Stripe (when connected) matches the record
  'in-sync': 'ok',
  // nothing to bill: not activated yet, a free plan, no seats, terminated,
  // or the billing engine off — nothing is wrong with the tenant
  'not-billed': 'ok',
  // a Stripe call failed (the reconcile retries) or the partner has no
  // billing currency: billing is behind, the tenant is not harmed yet
  'out-of-sync': 'warn',
  // sold directly without spec.billing: it cannot be billed until fixed
  'missing-billing-details': 'warn',
  // its latest invoice could not be collected
  'payment-failed': 'bad',
};

/** Integration status → health: planned integrations are not probed and count as ok. */
export const INTEGRATION_HEALTH: Record<IntegrationHealth, TenantHealth> = {
  ok: 'ok',
  planned: 'ok',
  warn: 'warn',
  bad: 'bad',
};

/** The worse of two healths (bad > warn > ok). */
export function worse(a: TenantHealth, b: TenantHealth): TenantHealth {
  return TENANT_HEALTHS.indexOf(a) >= TENANT_HEALTHS.indexOf(b) ? a : b;
}

/** `integration:default/stalwart` → `stalwart`; another namespace stays in (`ops/stalwart`). */
function integrationName(ref: string): string {
  const [, rest = ref] = ref.split(':', 2);
  return rest.replace(/^default\//, '');
}

/**
 * A tenant's health (docs/reports.md#health): the worst of three parts.
 *
 * - **Provisioning phase**: `active` ok, `pending` warn, `degraded` bad; a
 *   tenant provisioning does not know is warn ("provisioning: not
 *   provisioned").
 * - **Billing condition**: `in-sync` and `not-billed` ok; `out-of-sync` and
 *   `missing-billing-details` warn; `payment-failed` bad (a condition this
 *   code does not know: warn).
 * - **Integrations** it uses (the Tenant entity's `dependsOn` relations to
 *   Integration entities), each by its status in the health plugin: `ok`
 *   and `planned` ok, `warn` warn, `bad` bad; an integration the health
 *   plugin does not know is warn ("integration x: unknown"). A tenant with
 *   no such relation (or not in the catalog) has no integration part.
 *
 * The reasons name each part that is not ok: `provisioning: degraded`,
 * `provisioning: not provisioned`, `billing: out-of-sync`,
 * `integration stalwart: bad`, `integration stalwart: unknown`.
 */
export function tenantHealth(inputs: TenantHealthInputs): TenantHealthResult {
  const parts: Array<[TenantHealth, string]> = [];
  if (inputs.phase === undefined) {
    parts.push(['warn', 'provisioning: not provisioned']);
  } else {
    parts.push([
      PHASE_HEALTH[inputs.phase] ?? 'warn',
      `provisioning: ${inputs.phase}`,
    ]);
  }
  parts.push([
    CONDITION_HEALTH[inputs.condition] ?? 'warn',
    `billing: ${inputs.condition}`,
  ]);
  const integrations = [...inputs.integrations].sort((a, b) =>
    a.ref.localeCompare(b.ref, 'en-US'),
  );
  for (const { ref, status } of integrations) {
    parts.push([
      status === undefined ? 'warn' : INTEGRATION_HEALTH[status] ?? 'warn',
      `integration ${integrationName(ref)}: ${status ?? 'unknown'}`,
    ]);
  }
  return {
    health: parts.reduce<TenantHealth>((h, [p]) => worse(h, p), 'ok'),
    reasons: parts.filter(([p]) => p !== 'ok').map(([, reason]) => reason),
  };
}
