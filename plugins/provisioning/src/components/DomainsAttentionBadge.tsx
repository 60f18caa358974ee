import { useEffect, useState } from 'react';
import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { useApiHolder } from '@backstage/frontend-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import Tooltip from '@material-ui/core/Tooltip';
import { TenantDomain } from '@internal/plugin-provisioning-common';
import { StatusChip } from '@internal/plugin-dezky-react';
import { provisioningApiRef } from '../api';

/** The domains of a tenant that need attention: those not verified. */
export function domainsNeedingAttention(domains: TenantDomain[]): string[] {
  return domains.filter(d => !d.verified).map(d => d.domain);
}

/**
 * On a Tenant's page: a chip "N domains need attention" when a mail domain
 * of the tenant is not verified (a record missing or different), linking to
 * its Domains tab; nothing when every domain is verified, when the domains
 * cannot be read (not the user's to see), or without the provisioning
 * plugin.
 */
export function DomainsAttentionBadge(props: {
  tenant: string;
  namespace?: string;
}) {
  const { tenant, namespace = 'default' } = props;
  const api = useApiHolder().get(provisioningApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const [attention, setAttention] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    setAttention([]);
    api?.listDomains(tenant).then(
      list => {
        if (live) setAttention(domainsNeedingAttention(list.items));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, tenant]);
  if (attention.length === 0) return null;
  const label =
    attention.length === 1
      ? '1 domain needs attention'
      : `${attention.length} domains need attention`;
  const to = `${entityRoute({
    kind: 'tenant',
    namespace,
    name: tenant,
  })}/domains`;
  return (
    <Tooltip title={`Not verified: ${attention.join(', ')}`}>
      <Link
        to={to}
        underline="none"
        aria-label={`${label}: open the Domains tab`}
        data-testid="domains-attention"
      >
        <StatusChip status="attention" tone="warning" label={label} />
      </Link>
    </Tooltip>
  );
}
