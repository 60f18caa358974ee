import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { RouterKit, tenantName } from '@internal/plugin-dezky-node';
import {
  provisioningTenantMembersManagePermission,
  provisioningTenantMembersReadPermission,
} from '@internal/plugin-provisioning-common';
import { provisioningTenantResourceRef } from '@internal/plugin-provisioning-node';
import express from 'express';
import { z } from 'zod';
import { SystemError } from './clients/SystemHttp';
import {
  MemberAction,
  MemberRefusal,
  MemberRights,
  MemberService,
} from './members/MemberService';
import { MEMBER_ROLES, MemberRole } from '@internal/plugin-provisioning-common';
import { ProvisioningScope } from './service/ProvisioningService';

export interface MemberRoutesOptions {
  kit: RouterKit;
  members: MemberService;
}

const createBody = z
  .object({
    name: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'is required')
      .max(150, 'must be at most 150 characters'),
    email: z
      .string({ error: 'is required' })
      .trim()
      .max(254, 'must be at most 254 characters')
      .regex(
        /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
        'must be an email address, e.g. anna@example.com',
      ),
    role: z.enum(MEMBER_ROLES as unknown as [MemberRole, ...MemberRole[]], {
      error: `must be one of ${MEMBER_ROLES.join(', ')}`,
    }),
  })
  .strict();

const memberId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a member id (a positive number)');

/** A refusal or a system failure as the HTTP error it is. */
function httpError(error: unknown): unknown {
  if (error instanceof MemberRefusal) {
    switch (error.kind) {
      case 'forbidden':
        return new NotAllowedError(error.message);
      case 'invalid':
        return new InputError(error.message);
      case 'notFound':
        return new NotFoundError(error.message);
      default:
        return new ConflictError(error.message);
    }
  }
  if (error instanceof SystemError) {
    return new ServiceUnavailableError(error.message);
  }
  return error;
}

/**
 * A tenant's members (docs/provisioning.md#members):
 * `GET/POST /tenants/:name/members`, `POST …/members/:id/suspend|resume|logout|reset-password`,
 * `DELETE …/members/:id`. Reading needs `provisioning.tenant.members.read`
 * (partner staff: their partners' tenants, in SQL; another partner's tenant
 * answers 404); the actions need `provisioning.tenant.members.manage` for
 * that tenant (403 otherwise).
 */
export function addMemberRoutes(
  router: express.Router,
  options: MemberRoutesOptions,
): void {
  const { kit, members } = options;

  const readScope = async (
    req: express.Request,
  ): Promise<ProvisioningScope> => {
    const scope = await kit.partnerScope(
      req,
      provisioningTenantMembersReadPermission,
      provisioningTenantResourceRef,
    );
    return scope.all ? undefined : scope.criteria;
  };

  /** The tenants whose members the caller may manage (none when denied). */
  const manageRights = async (req: express.Request): Promise<MemberRights> => {
    try {
      return (
        await kit.partnerScope(
          req,
          provisioningTenantMembersManagePermission,
          provisioningTenantResourceRef,
        )
      ).allows;
    } catch (error) {
      if (error instanceof NotAllowedError) return () => false;
      throw error;
    }
  };

  const caller = async (req: express.Request) => ({
    credentials: await kit.credentials(req),
    ...(req.ip ? { ip: req.ip } : {}),
  });

  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw httpError(error);
    }
  };

  router.get('/tenants/:name/members', async (req, res) => {
    const scope = await readScope(req);
    const tenant = kit.param(req, 'name', tenantName);
    res.json(await run(() => members.list(tenant, scope)));
  });

  router.post('/tenants/:name/members', async (req, res) => {
    const scope = await readScope(req);
    const tenant = kit.param(req, 'name', tenantName);
    const rights = await manageRights(req);
    const who = await caller(req);
    const result = await run(() =>
      members.create(tenant, scope, rights, who, () =>
        kit.body(req, createBody),
      ),
    );
    res
      .status(result.steps.some(s => s.status === 'failed') ? 202 : 201)
      .set('cache-control', 'no-store')
      .json(result);
  });

  const actions: Array<Exclude<MemberAction, 'create' | 'remove'>> = [
    'suspend',
    'resume',
    'logout',
    'reset-password',
  ];
  for (const action of actions) {
    router.post(`/tenants/:name/members/:id/${action}`, async (req, res) => {
      const scope = await readScope(req);
      const tenant = kit.param(req, 'name', tenantName);
      const id = kit.param(req, 'id', memberId);
      const rights = await manageRights(req);
      const who = await caller(req);
      const result = await run(() =>
        members.act(action, tenant, id, scope, rights, who),
      );
      res
        .status(result.steps.some(s => s.status === 'failed') ? 202 : 200)
        .set('cache-control', 'no-store')
        .json(result);
    });
  }

  router.delete('/tenants/:name/members/:id', async (req, res) => {
    const scope = await readScope(req);
    const tenant = kit.param(req, 'name', tenantName);
    const id = kit.param(req, 'id', memberId);
    const rights = await manageRights(req);
    const who = await caller(req);
    const result = await run(() =>
      members.act('remove', tenant, id, scope, rights, who),
    );
    res
      .status(result.steps.some(s => s.status === 'failed') ? 202 : 200)
      .json(result);
  });
}
