import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  isTenantEntity,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';
import {
  PROVISIONING_STEPS,
  ProvisioningStep,
} from '@internal/plugin-provisioning-common';
import { createHash } from 'node:crypto';
import { LifecycleMode } from './lifecycle';

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/** What the catalog asks for a tenant: the input of every step. */
export interface DesiredTenant {
  /** `tenant:default/acme` (lower case). */
  tenantRef: string;
  /** `metadata.name`, exactly as in the catalog: groups and spaces are named after it. */
  name: string;
  title?: string;
  partnerRef?: string;
  /** `spec.status` (absent means active); with the portal's hold it makes the effective status. */
  status: 'active' | 'suspended' | 'cancelled';
  /** `spec.plan` and `spec.seats`, for the lifecycle events. */
  plan: string;
  seats: number;
  /** `spec.domains`, lower case, sorted. */
  domains: string[];
  /** The provisioning steps named in `spec.integrations`. */
  integrations: ProvisioningStep[];
  /** Of those, the ones whose Integration entity is `lifecycle: planned`. */
  planned: ProvisioningStep[];
}

/** Whether a step is needed, and what it must make exist. */
export type StepNeed =
  | { needed: true; desired: Record<string, unknown>; generation: string }
  | { needed: false; reason: string; message: string };

/** A short stable hash of a JSON value (key order included: build values in a fixed order). */
export function hashOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The desired state of every Tenant entity, given the Integration entities
 * (for their lifecycle). Entities that are not valid tenants are left out.
 */
export function desiredTenants(
  tenants: Entity[],
  integrations: Entity[],
): DesiredTenant[] {
  const planned = new Set(
    integrations
      .filter(i => (i.spec as { lifecycle?: string })?.lifecycle === 'planned')
      .map(i => lower(i.metadata.name)),
  );
  const out: DesiredTenant[] = [];
  for (const entity of tenants) {
    if (!isTenantEntity(entity)) continue;
    const listed = new Set(
      (entity.spec.integrations ?? []).map(i =>
        lower(i.replace(/^integration:(default\/)?/i, '')),
      ),
    );
    const steps = PROVISIONING_STEPS.filter(s => listed.has(s));
    out.push({
      tenantRef: lower(stringifyEntityRef(entity)),
      name: entity.metadata.name,
      ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
      ...(entity.spec.partner
        ? { partnerRef: lower(tenantPartnerRef(entity)!) }
        : {}),
      status: entity.spec.status ?? 'active',
      plan: String(entity.spec.plan ?? ''),
      seats: Number.isInteger(entity.spec.seats) ? entity.spec.seats : 0,
      domains: [...new Set((entity.spec.domains ?? []).map(lower))].sort(),
      integrations: steps,
      planned: steps.filter(s => planned.has(s)),
    });
  }
  return out;
}

/**
 * What one step must make exist for a tenant, or why it is not needed. In
 * `suspended` mode the same objects exist, held (`suspended: true` in the
 * desired state: users inactive, mailboxes frozen, the space disabled); a
 * `terminated` tenant needs nothing. (`teardown` is the reconciler's: it
 * takes the `active` need to know what to remove.)
 */
export function stepNeed(
  tenant: DesiredTenant,
  step: ProvisioningStep,
  mode: LifecycleMode = 'active',
): StepNeed {
  if (!tenant.integrations.includes(step)) {
    return {
      needed: false,
      reason: 'NotInIntegrations',
      message: 'not in spec.integrations',
    };
  }
  if (tenant.planned.includes(step)) {
    return { needed: false, reason: 'Planned', message: 'planned' };
  }
  if (mode === 'terminated') {
    return {
      needed: false,
      reason: 'Terminated',
      message: 'the tenant is terminated: everything was torn down',
    };
  }
  let desired: Record<string, unknown>;
  switch (step) {
    case 'authentik':
      desired = {
        group: tenant.name,
        attributes: { dezkyTenant: tenant.tenantRef },
      };
      break;
    case 'stalwart':
      if (tenant.domains.length === 0) {
        return {
          needed: false,
          reason: 'NoDomains',
          message: 'spec.domains is empty',
        };
      }
      desired = { domains: tenant.domains };
      break;
    case 'ocis':
      desired = { space: tenant.name };
      break;
    default:
      throw new Error(`unknown step ${step}`);
  }
  if (mode === 'suspended') desired = { ...desired, suspended: true };
  return { needed: true, desired, generation: hashOf(desired) };
}

/** The hash of everything the steps read: a change queues the tenant. */
export function desiredHash(tenant: DesiredTenant): string {
  return hashOf([
    tenant.name,
    tenant.title ?? null,
    tenant.partnerRef ?? null,
    tenant.status,
    tenant.plan,
    tenant.seats,
    tenant.domains,
    tenant.integrations,
    tenant.planned,
  ]);
}

/** The marker provisioning writes on what it creates (descriptions). */
export const ownerMarker = (tenant: Pick<DesiredTenant, 'tenantRef'>) =>
  `Dezky tenant ${tenant.tenantRef}`;
