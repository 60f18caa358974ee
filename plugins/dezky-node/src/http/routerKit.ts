import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
  PermissionResourceRef,
} from '@backstage/plugin-permission-node';
import express from 'express';
import { z } from 'zod';
import { PartnerScopeQuery } from '../permissions';
import {
  DezkyTenant,
  TenantDirectory,
} from '../tenants/CatalogTenantDirectory';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';
import { parseInput } from './parse';

/**
 * A request refused by the policy: who asked, for what, and the tenant (or
 * else the partner) it concerned, when there is exactly one.
 *
 * @public
 */
export interface Refusal {
  credentials: BackstageCredentials;
  /** The permission the policy refused, e.g. `flags.flag.manage`. */
  permission: BasicPermission;
  /** `PATCH /api/flags/flags/beta` (no query string). */
  request: string;
  ip?: string;
  tenant?: DezkyTenant;
  /** The partner concerned, when the request concerns tenants of one partner. */
  partnerRef?: string;
}

/**
 * Records a refusal durably (the audit chain); rejects if it could not.
 *
 * @public
 */
export type RefusalRecorder = (refusal: Refusal) => Promise<void>;

/**
 * What a caller may see of a partner-scoped resource type: everything
 * (operators, services), or the resources the policy's conditions allow —
 * as criteria to push into SQL (`applyPartnerScope`) and as a test for one
 * resource in memory.
 *
 * @public
 */
export type PartnerScope<TResource> =
  | {
      credentials: BackstageCredentials;
      all: true;
      allows(resource: TResource): boolean;
    }
  | {
      credentials: BackstageCredentials;
      all: false;
      criteria: PermissionCriteria<PartnerScopeQuery>;
      allows(resource: TResource): boolean;
    };

/**
 * Options of {@link createRouterKit}.
 *
 * @public
 */
export interface RouterKitOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Needed for {@link RouterKit.partnerScope}. */
  permissionsRegistry?: PermissionsRegistryService;
  /** Resolves the tenants a refused request concerns. */
  tenants?: TenantDirectory;
  /** Where refused mutations are recorded; absent: not recorded. */
  refusals?: RefusalRecorder;
}

/**
 * The one way every Dezky router parses, authorizes and answers. See
 * {@link createRouterKit}.
 *
 * @public
 */
export interface RouterKit {
  /** The caller (a user or a backend service); 401 otherwise. */
  credentials(req: express.Request): Promise<BackstageCredentials>;
  /**
   * The caller, if the policy allows the permission; else 403. A refused
   * mutation (any action but `read`) is recorded before the 403 is sent,
   * with the tenant(s) `concerns` names (names or refs; read leniently from
   * the unvalidated request, as authorization comes before validation).
   */
  authorize(
    req: express.Request,
    permission: BasicPermission,
    options?: { concerns?: () => unknown },
  ): Promise<BackstageCredentials>;
  /** The caller's scope of a partner-scoped resource type; 403 when denied. */
  partnerScope<TResource>(
    req: express.Request,
    permission: ResourcePermission,
    resourceRef: PermissionResourceRef<TResource, PartnerScopeQuery, string>,
  ): Promise<PartnerScope<TResource>>;
  /**
   * Middleware: `Cache-Control: no-store` on every answer (a route may set
   * its own), and 400 for a NUL byte in any query parameter.
   */
  defaults(): express.RequestHandler;
  /**
   * Middleware: reads a JSON body (up to `limit`). A body that is not JSON,
   * malformed or too large is not refused here but by {@link RouterKit.body},
   * after the route has authorized the caller.
   */
  jsonParser(options?: { limit?: string }): express.RequestHandler;
  /** The JSON body parsed with `schema`: 415 unless JSON, 400 naming each bad field. */
  body<T extends z.ZodType>(req: express.Request, schema: T): z.output<T>;
  /** The query parameters parsed with `schema`; 400 naming each bad one. */
  query<T extends z.ZodType>(req: express.Request, schema: T): z.output<T>;
  /** One path parameter parsed with `schema`; 400 naming it. */
  param<T extends z.ZodType>(
    req: express.Request,
    name: string,
    schema: T,
  ): z.output<T>;
}

const BODY_ERROR = Symbol('dezky.bodyError');
type WithBodyError = express.Request & { [BODY_ERROR]?: Error };

function bodyError(error: unknown): Error {
  const e = error as { type?: string; message?: string };
  if (e.type === 'entity.too.large') {
    return new PayloadTooLargeError(`body: larger than allowed`);
  }
  return new InputError(`body: not valid JSON (${e.message ?? error})`);
}

/** Tenant names or refs named by a lenient read of a request part. */
function namesOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list
    .filter((v): v is string => typeof v === 'string' && v.length <= 300)
    .map(v => v.trim())
    .filter(Boolean);
}

/**
 * The shared toolkit of the Dezky routers: credentials, authorization (with
 * refusals recorded), the partner scope of conditional decisions, request
 * parsing with one error shape, and the defaults every answer gets.
 *
 * A route reads: authorize (or take the scope) → parse → delegate to a
 * service → answer; errors are thrown as @backstage/errors (plus 413 and 415
 * from this package), and Backstage's error handler answers them.
 *
 * @public
 */
export function createRouterKit(options: RouterKitOptions): RouterKit {
  const { httpAuth, permissions, permissionsRegistry, tenants, refusals } =
    options;

  const credentials = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  async function concerned(
    concerns: (() => unknown) | undefined,
  ): Promise<Pick<Refusal, 'tenant' | 'partnerRef'>> {
    if (!concerns || !tenants) return {};
    let names: string[];
    try {
      names = [...new Set(namesOf(concerns()))].slice(0, 100);
    } catch {
      return {}; // a lenient read of an unvalidated body
    }
    const found = new Map<string, DezkyTenant>();
    for (const name of names) {
      const tenant = name.includes(':')
        ? await tenants.byRef(name)
        : await tenants.byName(name);
      if (tenant) found.set(tenant.tenantRef, tenant);
    }
    const list = [...found.values()];
    if (list.length === 1) return { tenant: list[0] };
    const partners = new Set(list.map(t => t.partnerRef));
    const [partnerRef] = partners;
    return list.length && partners.size === 1 && partnerRef
      ? { partnerRef }
      : {};
  }

  return {
    credentials,

    async authorize(req, permission, opts) {
      const creds = await credentials(req);
      const [decision] = await permissions.authorize([{ permission }], {
        credentials: creds,
      });
      if (decision.result === AuthorizeResult.ALLOW) return creds;
      if (refusals && permission.attributes.action !== 'read') {
        await refusals({
          credentials: creds,
          permission,
          request: `${req.method} ${req.baseUrl}${req.path}`,
          ...(req.ip ? { ip: req.ip } : {}),
          ...(await concerned(opts?.concerns)),
        });
      }
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    },

    async partnerScope<TResource>(
      req: express.Request,
      permission: ResourcePermission,
      resourceRef: PermissionResourceRef<TResource, PartnerScopeQuery, string>,
    ): Promise<PartnerScope<TResource>> {
      if (!permissionsRegistry) {
        throw new Error(
          'createRouterKit: partnerScope needs permissionsRegistry',
        );
      }
      const creds = await credentials(req);
      const [decision] = await permissions.authorizeConditional(
        [{ permission }],
        { credentials: creds },
      );
      if (decision.result === AuthorizeResult.DENY) {
        throw new NotAllowedError(`Not allowed: ${permission.name}`);
      }
      if (decision.result !== AuthorizeResult.CONDITIONAL) {
        return { credentials: creds, all: true, allows: () => true };
      }
      const ruleset = permissionsRegistry.getPermissionRuleset(resourceRef);
      const apply = createConditionAuthorizer(ruleset);
      return {
        credentials: creds,
        all: false,
        criteria: createConditionTransformer(ruleset)(decision.conditions),
        allows: resource => apply(decision, resource),
      };
    },

    defaults() {
      return (req, res, next) => {
        res.setHeader('Cache-Control', 'no-store');
        for (const [name, value] of Object.entries(req.query)) {
          if (findsNul(value) || name.includes('\u0000')) {
            next(new InputError(`${name}: must not contain a NUL byte`));
            return;
          }
        }
        next();
      };
    },

    jsonParser(opts) {
      const parser = express.json({ limit: opts?.limit ?? '1mb' });
      return (req, res, next) => {
        parser(req, res, error => {
          if (error) (req as WithBodyError)[BODY_ERROR] = bodyError(error);
          next();
        });
      };
    },

    body(req, schema) {
      if (!req.is('application/json')) {
        throw new UnsupportedMediaTypeError(
          `Content-Type must be application/json (was ${
            req.get('content-type') ?? 'absent'
          })`,
        );
      }
      const error = (req as WithBodyError)[BODY_ERROR];
      if (error) throw error;
      return parseInput(schema, req.body, 'body');
    },

    query(req, schema) {
      return parseInput(schema, req.query, 'query');
    },

    param(req, name, schema) {
      return parseInput(schema, req.params[name], name);
    },
  };
}

function findsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(findsNul);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(
      ([k, v]) => k.includes('\u0000') || findsNul(v),
    );
  }
  return false;
}
