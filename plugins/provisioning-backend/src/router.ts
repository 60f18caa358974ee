import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { RouterKit } from '@internal/plugin-dezky-node';
import {
  PROVISIONING_STEPS,
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
  STEP_STATUSES,
  TENANT_PHASES,
} from '@internal/plugin-provisioning-common';
import { provisioningTenantResourceRef } from '@internal/plugin-provisioning-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  ProvisioningScope,
  ProvisioningService,
} from './service/ProvisioningService';

export interface RouterOptions {
  kit: RouterKit;
  service: ProvisioningService;
}

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be a tenant name: letters, digits, ".", "_" and "-"',
  );

const oneOf = <T extends string>(values: readonly T[]) =>
  z
    .enum(values as [T, ...T[]], {
      error: `must be one of ${values.join(', ')}`,
    })
    .optional();

const tenantsQuery = z.object({
  phase: oneOf(TENANT_PHASES),
  step: oneOf(PROVISIONING_STEPS),
  status: oneOf(STEP_STATUSES),
  tenants: z
    .string()
    .transform(s =>
      s
        .split(',')
        .map(t => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(name).max(100, 'at most 100 names'))
    .optional(),
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .default(50),
  offset: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .default(0),
});

/**
 * The provisioning API (docs/provisioning.md#api): scope → parse →
 * delegate. Partner staff see and reconcile their partners' tenants only
 * (the scope is applied in SQL); another partner's tenant answers 404.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { kit, service } = options;
  const router = Router();
  router.use(kit.defaults());

  const readScope = async (
    req: express.Request,
  ): Promise<ProvisioningScope> => {
    const scope = await kit.partnerScope(
      req,
      provisioningTenantReadPermission,
      provisioningTenantResourceRef,
    );
    return scope.all ? undefined : scope.criteria;
  };

  router.get('/tenants', async (req, res) => {
    const scope = await readScope(req);
    const query = kit.query(req, tenantsQuery);
    res.json(await service.list(query, scope));
  });

  router.get('/tenants/:name', async (req, res) => {
    const scope = await readScope(req);
    const tenant = kit.param(req, 'name', name);
    const detail = await service.detail(tenant, scope);
    if (!detail) throw new NotFoundError(`No tenant ${tenant}`);
    res.json(detail);
  });

  router.post('/tenants/:name/reconcile', async (req, res) => {
    const scope = await readScope(req);
    const reconcile = await kit.partnerScope(
      req,
      provisioningTenantReconcilePermission,
      provisioningTenantResourceRef,
    );
    const tenant = kit.param(req, 'name', name);
    const principal = reconcile.credentials.principal as {
      userEntityRef?: string;
    };
    const result = await service.reconcile(
      tenant,
      scope,
      reconcile.allows,
      principal.userEntityRef ? { userRef: principal.userEntityRef } : {},
    );
    if (!result) throw new NotFoundError(`No tenant ${tenant}`);
    if (result === 'forbidden') {
      throw new NotAllowedError(
        `Not allowed: ${provisioningTenantReconcilePermission.name}`,
      );
    }
    res.status(result.outcome === 'done' ? 200 : 202).json(result);
  });

  router.get('/summary', async (req, res) => {
    res.json(await service.summary(await readScope(req)));
  });

  return router;
}
