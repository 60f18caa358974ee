import { TenantEntityV1alpha1 } from '@internal/plugin-dezky-catalog-common';
import { StatusChip } from '@internal/plugin-dezky-react';
import { LifecycleChip, TenantLifecycle } from '../provisioning';
import { tenantStatus } from '../summaries';

/**
 * A tenant's status: its effective one when provisioning has it (git and
 * the portal's holds, with where it comes from, `lifecycle`); else
 * `spec.status` — while that is read, when provisioning has not seen the
 * tenant, and without the provisioning plugin.
 */
export function TenantStatusChip(props: {
  tenant: TenantEntityV1alpha1;
  lifecycle?: TenantLifecycle;
}) {
  const { tenant, lifecycle } = props;
  if (lifecycle) return <LifecycleChip lifecycle={lifecycle} />;
  return <StatusChip status={tenantStatus(tenant)} />;
}
