import {
  CompoundEntityRef,
  Entity,
  DEFAULT_NAMESPACE,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  TenantEntityV1alpha1,
  isPartnerEntity,
  isTenantEntity,
  isIntegrationEntity,
} from './model';

function refIn(
  entity: Entity,
  ref: string,
  defaultKind: string,
): CompoundEntityRef {
  return parseEntityRef(ref, {
    defaultKind,
    defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
  });
}

/** The ref of a tenant's partner, or undefined when sold directly. */
export function tenantPartnerRef(
  tenant: TenantEntityV1alpha1,
): string | undefined {
  return tenant.spec.partner
    ? stringifyEntityRef(refIn(tenant, tenant.spec.partner, 'partner'))
    : undefined;
}

/** The refs of the integrations a tenant depends on. */
export function tenantIntegrationRefs(tenant: TenantEntityV1alpha1): string[] {
  return (tenant.spec.integrations ?? []).map(i =>
    stringifyEntityRef(refIn(tenant, i, 'integration')),
  );
}

/** The ref of an entity's `spec.owner` (a group unless it says otherwise). */
export function ownerRef(entity: Entity): string | undefined {
  const owner = entity.spec?.owner;
  return typeof owner === 'string' && owner
    ? stringifyEntityRef(refIn(entity, owner, 'group'))
    : undefined;
}

/** A reference from one entity to another, named by the field that holds it. */
export interface EntityReference {
  /** The field holding the reference, e.g. `spec.partner` or `spec.integrations[1]`. */
  field: string;
  /** The ref as written. */
  value: string;
  /** The full ref it points at; undefined when `value` is not a valid ref. */
  targetRef?: string;
  /** The kind the target must have, lower case (for `spec.owner`: group, though a user is accepted too). */
  targetKind: string;
  /** Why `value` is not a valid ref. */
  error?: string;
}

function reference(
  entity: Entity,
  field: string,
  value: string,
  defaultKind: string,
): EntityReference {
  try {
    const ref = refIn(entity, value, defaultKind);
    return {
      field,
      value,
      targetRef: stringifyEntityRef(ref),
      targetKind: defaultKind,
    };
  } catch (e) {
    return {
      field,
      value,
      targetKind: defaultKind,
      error: String((e as Error).message ?? e),
    };
  }
}

/**
 * The references a Dezky entity makes to other entities, for cross-checks
 * (validate-catalog, the catalog processor).
 */
export function dezkyEntityReferences(entity: Entity): EntityReference[] {
  if (
    !isTenantEntity(entity) &&
    !isPartnerEntity(entity) &&
    !isIntegrationEntity(entity)
  ) {
    return [];
  }
  const out: EntityReference[] = [];
  if (typeof entity.spec?.owner === 'string' && entity.spec.owner) {
    out.push(reference(entity, 'spec.owner', entity.spec.owner, 'group'));
  }
  if (isTenantEntity(entity) && entity.spec) {
    if (typeof entity.spec.partner === 'string' && entity.spec.partner) {
      out.push(
        reference(entity, 'spec.partner', entity.spec.partner, 'partner'),
      );
    }
    const integrations = Array.isArray(entity.spec.integrations)
      ? entity.spec.integrations
      : [];
    integrations.forEach((integration, i) => {
      if (typeof integration === 'string' && integration) {
        out.push(
          reference(
            entity,
            `spec.integrations[${i}]`,
            integration,
            'integration',
          ),
        );
      }
    });
  }
  return out;
}
