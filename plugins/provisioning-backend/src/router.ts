import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { pageQuery, RouterKit, tenantName } from '@internal/plugin-dezky-node';
import {
  PROVISIONING_STEPS,
  provisioningTenantReadPermission,
  provisioningTenantReconcilePermission,
  provisioningTenantSuspendPermission,
  provisioningTenantTerminatePermission,
  STEP_STATUSES,
  TENANT_PHASES,
  TENANT_STATUSES,
} from '@internal/plugin-provisioning-common';
import { provisioningTenantResourceRef } from '@internal/plugin-provisioning-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { ProvisioningStore } from './database/ProvisioningStore';
import { addDomainRoutes } from './domainRoutes';
import { DomainService } from './domains/DomainService';
import { addMemberRoutes } from './memberRoutes';
import { MemberService } from './members/MemberService';
import { LifecycleAction, LifecycleService } from './service/LifecycleService';
import {
  ProvisioningScope,
  ProvisioningService,
} from './service/ProvisioningService';

export interface RouterOptions {
  kit: RouterKit;
  service: ProvisioningService;
  lifecycle: LifecycleService;
  /** The lifecycle events' outbox (read by backend services only). */
  store: Pick<ProvisioningStore, 'lifecycleEvents' | 'ackLifecycleEvents'>;
  /** A tenant's mail domains and their DNS checks (domainRoutes.ts). */
  domains?: DomainService;
  /** A tenant's members (memberRoutes.ts). */
  members?: MemberService;
}

const reason = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(500, 'must be at most 500 characters');

const lifecycleBodies: Record<
  LifecycleAction,
  z.ZodType<{ reason?: string; confirm?: string }>
> = {
  suspend: z.object({ reason }).strict(),
  resume: z.object({ reason: reason.optional() }).strict(),
  terminate: z
    .object({ reason, confirm: z.string({ error: 'is required' }) })
    .strict(),
};

const subscriber = z
  .string({ error: 'is required' })
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,99}$/,
    'must be a subscriber id: lower-case letters, digits, ".", "_" and "-"',
  );

const eventsQuery = z.object({
  subscriber,
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(500, 'must be at most 500')
    .default(100),
});

const ackBody = z
  .object({
    subscriber,
    seq: z
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be at least 0'),
  })
  .strict();

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
  lifecycle: oneOf(TENANT_STATUSES),
  tenants: z
    .string()
    .transform(s =>
      s
        .split(',')
        .map(t => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(tenantName).max(100, 'at most 100 names'))
    .optional(),
  ...pageQuery(),
});

/**
 * The provisioning API (docs/provisioning.md#api): scope → parse →
 * delegate. Partner staff see and reconcile their partners' tenants only
 * (the scope is applied in SQL); another partner's tenant answers 404.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { kit, service, lifecycle, store } = options;
  const router = Router();
  router.use(kit.defaults());
  router.use(kit.jsonParser());

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
    const tenant = kit.param(req, 'name', tenantName);
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
    const tenant = kit.param(req, 'name', tenantName);
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

  /** The outbox is for backend plugins (their service credentials); users get 403. */
  const serviceOnly = async (req: express.Request) => {
    const credentials = await kit.credentials(req);
    if ((credentials.principal as { type?: string }).type !== 'service') {
      throw new NotAllowedError(
        'Not allowed: the lifecycle events are read by backend services',
      );
    }
  };

  /** Whether the caller may take a permission's actions, per tenant (nothing when denied). */
  const rights = async (
    req: express.Request,
    permission: typeof provisioningTenantSuspendPermission,
  ) => {
    try {
      return (
        await kit.partnerScope(req, permission, provisioningTenantResourceRef)
      ).allows;
    } catch (error) {
      if (error instanceof NotAllowedError) return () => false;
      throw error;
    }
  };

  for (const action of ['suspend', 'resume', 'terminate'] as const) {
    router.post(`/tenants/:name/${action}`, async (req, res) => {
      const scope = await readScope(req);
      const credentials = await kit.credentials(req);
      const tenant = kit.param(req, 'name', tenantName);
      const outcome = await lifecycle.act({
        action,
        name: tenant,
        body: () => kit.body(req, lifecycleBodies[action]),
        credentials,
        ...(req.ip ? { ip: req.ip } : {}),
        readScope: scope,
        rights: {
          suspend: await rights(req, provisioningTenantSuspendPermission),
          terminate: await rights(req, provisioningTenantTerminatePermission),
        },
      });
      if (!outcome) throw new NotFoundError(`No tenant ${tenant}`);
      if ('refusal' in outcome) {
        const { kind, message } = outcome.refusal;
        if (kind === 'forbidden') throw new NotAllowedError(message);
        if (kind === 'invalid') throw new InputError(message);
        throw new ConflictError(message);
      }
      res.json(outcome.result);
    });
  }

  router.get('/lifecycle/events', async (req, res) => {
    await serviceOnly(req);
    const query = kit.query(req, eventsQuery);
    res.json({
      items: await store.lifecycleEvents(query.subscriber, query.limit),
    });
  });

  router.post('/lifecycle/events/ack', async (req, res) => {
    await serviceOnly(req);
    const body = kit.body(req, ackBody);
    const seq = await store.ackLifecycleEvents(
      body.subscriber,
      body.seq,
      new Date().toISOString(),
    );
    res.json({ subscriber: body.subscriber, seq });
  });

  if (options.domains) {
    addDomainRoutes(router, { kit, service, domains: options.domains });
  }

  if (options.members)
    addMemberRoutes(router, { kit, members: options.members });

  router.get('/summary', async (req, res) => {
    res.json(await service.summary(await readScope(req)));
  });

  return router;
}
