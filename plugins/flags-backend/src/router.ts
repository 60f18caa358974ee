import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { AuditActor } from '@internal/plugin-audit-common';
import {
  Flag,
  flagManagePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import { evaluateFlag } from '@internal/plugin-flags-node';
import express from 'express';
import Router from 'express-promise-router';
import { createOfrepRouter } from './ofrep';
import { DefaultFlagEvaluator } from './service/DefaultFlagEvaluator';
import { FlagHistory } from './service/FlagHistory';
import { FlagService } from './service/FlagService';
import { TenantAccess, TenantFilter } from './service/TenantAccess';
import { FlagTenant, TenantDirectory } from './service/TenantDirectory';
import {
  bulkEvaluateBody,
  checkPct,
  createFlagBody,
  evaluateBody,
  flagKey,
  parse,
  patchFlagBody,
  previewBody,
  tenantName,
} from './validation';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  service: FlagService;
  evaluator: DefaultFlagEvaluator;
  tenants: TenantDirectory;
  tenantAccess: TenantAccess;
  history: FlagHistory;
}

/** True when an If-None-Match header lists the ETag (or is `*`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  return (
    !!header &&
    header
      .split(',')
      .map(t => t.trim().replace(/^W\//, ''))
      .some(t => t === '*' || t === etag)
  );
}

function actorOf(
  credentials: BackstageCredentials,
  req: express.Request,
): AuditActor {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  const ip = req.ip ? { ip: req.ip } : {};
  return principal.type === 'user'
    ? { type: 'user', ref: principal.userEntityRef, ...ip }
    : { type: 'service', ref: principal.subject, ...ip };
}

/**
 * The flags API (docs/flags.md#api): parse → authorize → delegate; errors
 * from @backstage/errors. OFREP is mounted at /ofrep/v1.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    service,
    evaluator,
    tenants,
    tenantAccess,
    history,
  } = options;
  const router = Router();

  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  const authorize = async (
    req: express.Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials> => {
    const credentials = await credentialsOf(req);
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
    return credentials;
  };

  /** The tenant, if the caller may see it; 404 for unknown and for others'. */
  const visibleTenant = async (
    filter: TenantFilter,
    name: string,
  ): Promise<FlagTenant> => {
    const tenant = await tenants.byName(name);
    if (!tenant || !filter.allows(tenant)) {
      throw new NotFoundError(`No tenant ${name}`);
    }
    return tenant;
  };

  const tenantFlags = async (req: express.Request, name: string) => {
    const filter = await tenantAccess.filter(await credentialsOf(req));
    const tenant = await visibleTenant(filter, name);
    const context = evaluator.contextOf(tenant);
    return {
      tenant: tenant.name,
      context,
      flags: await evaluator.evaluateAll(context),
    };
  };

  // OpenFeature clients (docs/flags.md#openfeature-ofrep). Mounted before
  // the JSON parser below: it parses its own bodies, and answers a body that
  // is not JSON in OFREP's shape.
  router.use(
    '/ofrep/v1',
    createOfrepRouter({
      evaluator,
      async authorizeTenant(req, name) {
        const filter = await tenantAccess.filter(await credentialsOf(req));
        const tenant = await tenants.byName(name);
        // tenants the catalog does not know: operators and services only
        if (tenant ? !filter.allows(tenant) : !filter.all) {
          throw new NotFoundError(`No tenant ${name}`);
        }
      },
    }),
  );

  router.use(express.json({ limit: '1mb' }));

  router.get('/flags', async (req, res) => {
    await authorize(req, flagReadPermission);
    const { version, flags } = await evaluator.snapshot();
    const etag = `"${version}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    if (matchesEtag(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.json({ items: flags });
  });

  router.get('/flags/:key', async (req, res) => {
    const key = parse(flagKey, req.params.key, 'key');
    await authorize(req, flagReadPermission);
    const { flags } = await evaluator.snapshot();
    const flag = flags.find(f => f.key === key);
    if (!flag) {
      throw new NotFoundError(`No flag ${key}`);
    }
    res.json(flag);
  });

  // every recorded change, newest first, from the audit chain (also for a
  // deleted flag)
  router.get('/flags/:key/history', async (req, res) => {
    const key = parse(flagKey, req.params.key, 'key');
    await authorize(req, flagReadPermission);
    res.json({ items: await history.of(key) });
  });

  router.post('/flags', async (req, res) => {
    const input = parse(createFlagBody, req.body);
    const credentials = await authorize(req, flagManagePermission);
    const flag = await service.create(input, actorOf(credentials, req));
    res.status(201).json(flag);
  });

  router.patch('/flags/:key', async (req, res) => {
    const key = parse(flagKey, req.params.key, 'key');
    const patch = parse(patchFlagBody, req.body);
    const credentials = await authorize(req, flagManagePermission);
    res.json(await service.update(key, patch, actorOf(credentials, req)));
  });

  router.delete('/flags/:key', async (req, res) => {
    const key = parse(flagKey, req.params.key, 'key');
    const credentials = await authorize(req, flagManagePermission);
    await service.remove(key, actorOf(credentials, req));
    res.status(204).end();
  });

  router.post('/flags/:key/kill', async (req, res) => {
    const key = parse(flagKey, req.params.key, 'key');
    const credentials = await authorize(req, flagManagePermission);
    res.json(await service.kill(key, actorOf(credentials, req)));
  });

  router.post('/evaluate', async (req, res) => {
    const { tenant } = parse(evaluateBody, req.body);
    res.json(await tenantFlags(req, tenant));
  });

  // many tenants in one call; tenants the caller may not see, and unknown
  // ones, are left out
  router.post('/evaluate/bulk', async (req, res) => {
    const { tenants: names } = parse(bulkEvaluateBody, req.body);
    const filter = await tenantAccess.filter(await credentialsOf(req));
    const { flags } = await evaluator.snapshot();
    const seen = new Set<string>();
    const results = [];
    for (const name of names) {
      const tenant = await tenants.byName(name);
      if (!tenant || seen.has(tenant.name) || !filter.allows(tenant)) continue;
      seen.add(tenant.name);
      const context = evaluator.contextOf(tenant);
      results.push({
        tenant: tenant.name,
        flags: flags.map(flag => evaluateFlag(flag, context)),
      });
    }
    res.json({ results });
  });

  router.get('/tenants/:name', async (req, res) => {
    const name = parse(tenantName, req.params.name, 'name');
    res.json(await tenantFlags(req, name));
  });

  // "≈ N of M tenants": how many of the tenants the caller may see a flag
  // with this state, pct and scope would be on for
  router.post('/preview', async (req, res) => {
    const input = parse(previewBody, req.body);
    checkPct(input.state, input.pct);
    if (input.state === 'rollout' && !input.key) {
      throw new InputError(
        'key: required for a rollout preview (the bucket depends on the flag key)',
      );
    }
    const credentials = await authorize(req, flagReadPermission);
    const filter = await tenantAccess.filter(credentials);
    const flag: Flag = {
      key: input.key ?? '',
      description: '',
      type: 'release',
      state: input.state,
      pct: input.pct,
      scope: {
        plans: input.scope.plans ?? [],
        tenants: input.scope.tenants ?? [],
        partners: input.scope.partners ?? [],
        environments: input.scope.environments ?? [],
      },
      createdAt: '',
      updatedAt: '',
    };
    const visible = (await tenants.all()).filter(t => filter.allows(t));
    const matching = visible.filter(
      t => evaluateFlag(flag, evaluator.contextOf(t)).value,
    ).length;
    res.json({ matching, total: visible.length });
  });

  return router;
}
