import { NotFoundError } from '@backstage/errors';
import { auditActorOf } from '@internal/plugin-audit-node';
import { DezkyTenantDirectory, RouterKit } from '@internal/plugin-dezky-node';
import {
  flagEvaluatePermission,
  flagManagePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import { flagTenantResourceRef } from '@internal/plugin-flags-node';
import { createHash } from 'crypto';
import express from 'express';
import Router from 'express-promise-router';
import { createOfrepRouter, ifNoneMatchMatches } from './ofrep';
import { DefaultFlagEvaluator } from './service/DefaultFlagEvaluator';
import { FlagHistory } from './service/FlagHistory';
import { FlagService, TenantVisibility } from './service/FlagService';
import {
  bulkEvaluateBody,
  createFlagBody,
  evaluateBody,
  flagKey,
  patchFlagBody,
  previewBody,
  tenantName,
} from './validation';

export interface RouterOptions {
  kit: RouterKit;
  service: FlagService;
  evaluator: DefaultFlagEvaluator;
  tenants: DezkyTenantDirectory;
  history: FlagHistory;
}

/** The list's ETag: the version, and for a redacted view what it shows. */
function listEtag(version: string, view?: unknown): string {
  if (view === undefined) return `"${version}"`;
  const digest = createHash('sha256')
    .update(JSON.stringify(view))
    .digest('base64url');
  return `"${version}-${digest.slice(0, 16)}"`;
}

/** The tenant names a flag mutation concerns, read leniently (for refusals). */
function concernedTenants(req: express.Request): unknown {
  return req.body?.scope?.tenants;
}

/**
 * The flags API (docs/flags.md#api): authorize → parse → delegate; errors
 * from @backstage/errors, answered by Backstage's error handler. OFREP is
 * mounted at /ofrep/v1.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { kit, service, evaluator, tenants, history } = options;
  const router = Router();
  router.use(kit.defaults());

  /** Which tenants the caller may see flag evaluations of; 403 for none. */
  const visibility = (req: express.Request): Promise<TenantVisibility> =>
    kit.partnerScope(req, flagEvaluatePermission, flagTenantResourceRef);

  const tenantFlags = async (scope: TenantVisibility, name: string) => {
    const tenant = await tenants.byName(name);
    if (!tenant || !scope.allows(tenant)) {
      throw new NotFoundError(`No tenant ${name}`);
    }
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
        const scope = await visibility(req);
        const tenant = await tenants.byName(name);
        // tenants the catalog does not know: operators and services only
        if (tenant ? !scope.allows(tenant) : !scope.all) {
          throw new NotFoundError(`No tenant ${name}`);
        }
      },
    }),
  );

  router.use(kit.jsonParser({ limit: '1mb' }));

  router.get('/flags', async (req, res) => {
    await kit.authorize(req, flagReadPermission);
    const scope = await visibility(req);
    const { version, flags } = await evaluator.snapshot();
    const items = await service.viewFor(flags, scope);
    const etag = listEtag(version, scope.all ? undefined : items);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    if (ifNoneMatchMatches(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.json({ items });
  });

  router.get('/flags/:key', async (req, res) => {
    await kit.authorize(req, flagReadPermission);
    const key = kit.param(req, 'key', flagKey);
    const scope = await visibility(req);
    const { flags } = await evaluator.snapshot();
    const flag = flags.find(f => f.key === key);
    if (!flag) {
      throw new NotFoundError(`No flag ${key}`);
    }
    const [view] = await service.viewFor([flag], scope);
    res.json(view);
  });

  // every recorded change the caller may see, newest first, from the audit
  // chain (also for a deleted flag), read on the caller's behalf
  router.get('/flags/:key/history', async (req, res) => {
    const credentials = await kit.authorize(req, flagReadPermission);
    const key = kit.param(req, 'key', flagKey);
    res.json({ items: await history.of(key, credentials) });
  });

  router.post('/flags', async (req, res) => {
    const credentials = await kit.authorize(req, flagManagePermission, {
      concerns: () => concernedTenants(req),
    });
    const input = kit.body(req, createFlagBody);
    const flag = await service.create(input, auditActorOf(credentials, req.ip));
    res.status(201).json(flag);
  });

  router.patch('/flags/:key', async (req, res) => {
    const credentials = await kit.authorize(req, flagManagePermission, {
      concerns: () => concernedTenants(req),
    });
    const key = kit.param(req, 'key', flagKey);
    const patch = kit.body(req, patchFlagBody);
    res.json(
      await service.update(key, patch, auditActorOf(credentials, req.ip)),
    );
  });

  router.delete('/flags/:key', async (req, res) => {
    const credentials = await kit.authorize(req, flagManagePermission);
    const key = kit.param(req, 'key', flagKey);
    await service.remove(key, auditActorOf(credentials, req.ip));
    res.status(204).end();
  });

  router.post('/flags/:key/kill', async (req, res) => {
    const credentials = await kit.authorize(req, flagManagePermission);
    const key = kit.param(req, 'key', flagKey);
    res.json(await service.kill(key, auditActorOf(credentials, req.ip)));
  });

  router.post('/evaluate', async (req, res) => {
    const scope = await visibility(req);
    const { tenant } = kit.body(req, evaluateBody);
    res.json(await tenantFlags(scope, tenant));
  });

  // many tenants in one call; tenants the caller may not see, and unknown
  // ones, are left out
  router.post('/evaluate/bulk', async (req, res) => {
    const scope = await visibility(req);
    const { tenants: names } = kit.body(req, bulkEvaluateBody);
    res.json({ results: await service.evaluateMany(names, scope) });
  });

  router.get('/tenants/:name', async (req, res) => {
    const scope = await visibility(req);
    const name = kit.param(req, 'name', tenantName);
    res.json(await tenantFlags(scope, name));
  });

  // "≈ N of M tenants": how many of the tenants the caller may see a flag
  // with this state, pct and scope would be on for
  router.post('/preview', async (req, res) => {
    await kit.authorize(req, flagReadPermission);
    const scope = await visibility(req);
    const input = kit.body(req, previewBody);
    res.json(await service.preview(input, scope));
  });

  return router;
}
