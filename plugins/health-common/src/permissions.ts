import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Run a probe round now (POST /api/health/probe): operators. Reading the
 * status and history needs no permission, only a signed-in user (or a
 * service).
 */
export const healthProbeRunPermission = createPermission({
  name: 'health.probe.run',
  attributes: { action: 'update' },
});

export const healthPermissions = [healthProbeRunPermission];
