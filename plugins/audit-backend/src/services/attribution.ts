import { parseEntityRef } from '@backstage/catalog-model';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { TenantDirectory } from './TenantDirectory';

const lower = (s: string) => s.toLocaleLowerCase('en-US');

function kindOf(ref: string): string | undefined {
  try {
    return lower(parseEntityRef(ref).kind);
  } catch {
    return undefined;
  }
}

/**
 * Fills in the tenant and partner an event concerns, so partner scoping can
 * find it: a resource that is a tenant or partner entity names them; a
 * tenant without a partner gets the tenant's partner from the catalog.
 * Given values are kept.
 */
export async function attribute(
  input: AuditEventInput,
  tenants: TenantDirectory,
): Promise<AuditEventInput> {
  let { tenant, partner } = input;
  const resourceRef = input.resource?.ref;
  if (resourceRef && !tenant && kindOf(resourceRef) === 'tenant') {
    tenant = lower(resourceRef);
  }
  if (resourceRef && !partner && kindOf(resourceRef) === 'partner') {
    partner = lower(resourceRef);
  }
  if (tenant && !partner) {
    partner = (await tenants.byRef(tenant))?.partnerRef;
  }
  return tenant === input.tenant && partner === input.partner
    ? input
    : { ...input, tenant, partner };
}
