import {
  IntegrationEntityV1alpha1,
  PartnerEntityV1alpha1,
  TenantEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';

/** A count under a label, for the overview tables. */
export interface Count {
  key: string;
  count: number;
}

/** Label used for tenants sold without a partner. */
export const DIRECT = '(direct)';

function countBy<T>(items: T[], keyOf: (item: T) => string): Count[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** Tenants per partner name (DIRECT for none). */
export function tenantsByPartner(tenants: TenantEntityV1alpha1[]): Count[] {
  return countBy(tenants, t => t.spec.partner ?? DIRECT);
}

/** Tenants per plan. */
export function tenantsByPlan(tenants: TenantEntityV1alpha1[]): Count[] {
  return countBy(tenants, t => t.spec.plan);
}

/** Seats per plan, summed. */
export function seatsTotal(tenants: TenantEntityV1alpha1[]): number {
  return tenants.reduce((sum, t) => sum + (t.spec.seats ?? 0), 0);
}

/** Partners per status. */
export function partnersByStatus(partners: PartnerEntityV1alpha1[]): Count[] {
  return countBy(partners, p => p.spec.status);
}

/** Integrations per lifecycle (production, planned). */
export function integrationsByLifecycle(
  integrations: IntegrationEntityV1alpha1[],
): Count[] {
  return countBy(integrations, i => i.spec.lifecycle);
}

/** The tenant's status, `active` when the YAML leaves it out. */
export function tenantStatus(tenant: TenantEntityV1alpha1): string {
  return tenant.spec.status ?? 'active';
}

/** What the partners table can be narrowed by. */
export interface PartnerFilter {
  text?: string;
  status?: string;
}

/** Applies the partners table's filters; text matches name, title, domain and contact. */
export function filterPartners(
  partners: PartnerEntityV1alpha1[],
  filter: PartnerFilter,
): PartnerEntityV1alpha1[] {
  const text = filter.text?.trim().toLocaleLowerCase();
  return partners.filter(p => {
    if (filter.status && p.spec.status !== filter.status) return false;
    if (text) {
      const haystack = [
        p.metadata.name,
        p.metadata.title ?? '',
        p.spec.domain,
        p.spec.contact?.name ?? '',
      ]
        .join(' ')
        .toLocaleLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  });
}
