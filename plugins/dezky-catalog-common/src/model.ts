import type { Entity } from '@backstage/catalog-model';

/** The apiVersion of every Dezky kind. */
export const DEZKY_API_VERSION = 'dezky.io/v1alpha1';

/** The Dezky kinds, as they appear in `kind:`. */
export const DEZKY_KINDS = ['Partner', 'Tenant', 'Integration'] as const;

/** One of the Dezky kinds. */
export type DezkyKind = (typeof DEZKY_KINDS)[number];

/** The group whose members are operators of the platform. */
export const PLATFORM_ADMINS_GROUP_REF = 'group:default/dezky-platform-admins';

export const PARTNER_STATUSES = ['active', 'paused', 'terminated'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

export const TENANT_STATUSES = ['active', 'suspended', 'cancelled'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const INTEGRATION_LIFECYCLES = ['production', 'planned'] as const;
export type IntegrationLifecycle = (typeof INTEGRATION_LIFECYCLES)[number];

/** A reseller. Its `spec.owner` group holds its staff. */
export interface PartnerEntityV1alpha1 extends Entity {
  apiVersion: typeof DEZKY_API_VERSION;
  kind: 'Partner';
  spec: {
    owner: string;
    domain: string;
    status: PartnerStatus;
    marginPct: number;
    contract?: {
      startDate?: string;
      endDate?: string;
      noticeDays?: number;
      reference?: string;
    };
    contact: { name: string; email: string; phone?: string };
    billing: {
      company: string;
      vatId?: string;
      country: string;
      email: string;
      currency: string;
    };
  };
}

/** A customer organisation. `spec.partner` absent means sold directly. */
export interface TenantEntityV1alpha1 extends Entity {
  apiVersion: typeof DEZKY_API_VERSION;
  kind: 'Tenant';
  spec: {
    owner: string;
    partner?: string;
    status?: TenantStatus;
    plan: string;
    seats: number;
    domains: string[];
    integrations?: string[];
    /** Who Dezky invoices, for a tenant sold directly (as a Partner's `spec.billing`). */
    billing?: {
      company: string;
      vatId?: string;
      country: string;
      email: string;
      currency: string;
    };
  };
}

/** A system the platform runs or depends on. */
export interface IntegrationEntityV1alpha1 extends Entity {
  apiVersion: typeof DEZKY_API_VERSION;
  kind: 'Integration';
  spec: {
    owner: string;
    type: string;
    lifecycle: IntegrationLifecycle;
    endpoint?: string;
    docs?: string;
    probe?: {
      type: 'tcp' | 'http';
      target: string;
      timeoutMs?: number;
      expectStatus?: number;
    };
  };
}

function isKind(entity: Entity | undefined, kind: DezkyKind): boolean {
  return (
    !!entity && entity.apiVersion === DEZKY_API_VERSION && entity.kind === kind
  );
}

/** True if the entity is a Dezky Partner. */
export function isPartnerEntity(
  entity: Entity | undefined,
): entity is PartnerEntityV1alpha1 {
  return isKind(entity, 'Partner');
}

/** True if the entity is a Dezky Tenant. */
export function isTenantEntity(
  entity: Entity | undefined,
): entity is TenantEntityV1alpha1 {
  return isKind(entity, 'Tenant');
}

/** True if the entity is a Dezky Integration. */
export function isIntegrationEntity(
  entity: Entity | undefined,
): entity is IntegrationEntityV1alpha1 {
  return isKind(entity, 'Integration');
}

/** True if the entity is any of the Dezky kinds. */
export function isDezkyEntity(entity: Entity | undefined): boolean {
  return DEZKY_KINDS.some(kind => isKind(entity, kind));
}
