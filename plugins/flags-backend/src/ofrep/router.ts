/*
 * OFREP (OpenFeature Remote Evaluation Protocol) for OpenFeature clients: a
 * thin adapter from the protocol to the FlagEvaluator. Mounted by the flags
 * router at /ofrep/v1, so the paths are /api/flags/ofrep/v1/evaluate/flags
 * and /api/flags/ofrep/v1/evaluate/flags/{key}. docs/flags.md#openfeature-ofrep
 * describes the protocol as served here.
 */
import { NotFoundError } from '@backstage/errors';
import { FlagEvaluation, FlagReason } from '@internal/plugin-flags-common';
import { createHash } from 'crypto';
import express from 'express';
import Router from 'express-promise-router';
import { FlagEvaluator } from '../service/FlagEvaluator';

/** OpenFeature resolution reasons used here. */
export type OfrepReason = 'STATIC' | 'TARGETING_MATCH' | 'DEFAULT' | 'SPLIT';

/** OFREP error codes (OpenFeature error codes). */
export type OfrepErrorCode =
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'FLAG_NOT_FOUND'
  | 'GENERAL';

/**
 * How each FlagReason maps to an OpenFeature reason:
 * - off, on: the value is the flag's state, nothing about the tenant → STATIC;
 * - targeted-match: the tenant is in the flag's scope → TARGETING_MATCH;
 * - targeted-no-match, targeted-no-scope, rollout-scope-mismatch: no
 *   targeting rule includes the tenant, the value is the default (false) →
 *   DEFAULT;
 * - rollout-in, rollout-out: decided by the tenant's rollout bucket → SPLIT.
 */
export const OFREP_REASONS: Record<FlagReason, OfrepReason> = {
  off: 'STATIC',
  on: 'STATIC',
  'targeted-match': 'TARGETING_MATCH',
  'targeted-no-match': 'DEFAULT',
  'targeted-no-scope': 'DEFAULT',
  'rollout-scope-mismatch': 'DEFAULT',
  'rollout-in': 'SPLIT',
  'rollout-out': 'SPLIT',
};

/** One flag's OFREP evaluation result. */
export interface OfrepEvaluation {
  key: string;
  value: boolean;
  reason: OfrepReason;
  variant: 'on' | 'off';
  /** Our reason and, for rollouts, the tenant's bucket (0–9999). */
  metadata: { reason: FlagReason; bucket?: number };
}

export interface OfrepRouterOptions {
  evaluator: FlagEvaluator;
  /**
   * Resolves when the caller may evaluate flags for the tenant named by the
   * context's targetingKey; throws NotAllowedError (→ 403) or NotFoundError
   * (→ 400 INVALID_CONTEXT, the same answer whether the tenant does not
   * exist or the caller may not see it) otherwise, or AuthenticationError
   * (→ 401). The flags plugin decides: partner staff their partners'
   * tenants; tenants that are not in the catalog operators and services only.
   */
  authorizeTenant(req: express.Request, tenantName: string): Promise<void>;
}

/** A catalog name (metadata.name, plan key): what targetingKey, plan and partner must look like. */
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
/** A flag key; anything else cannot name a flag. */
const FLAG_KEY = /^[a-z0-9_-]{1,64}$/;

class OfrepRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly errorCode: OfrepErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface OfrepRequestContext {
  tenant: string;
  fallback: { plan?: string; partner?: string };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An optional catalog name in the context: absent/null → undefined. */
function optionalName(context: Record<string, unknown>, field: string) {
  const value = context[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new OfrepRequestError(
      400,
      'INVALID_CONTEXT',
      `context.${field} must be a catalog name (letters, digits, - _ ., at most 63 characters)`,
    );
  }
  return value;
}

/**
 * The tenant and the fallback plan/partner of an OFREP request body
 * `{ context: { targetingKey, plan?, partner?, ... } }`. Other context
 * attributes are ignored (the environment comes from config).
 */
export function parseOfrepBody(body: unknown): OfrepRequestContext {
  const parsed = body === undefined ? {} : body;
  if (!isObject(parsed)) {
    throw new OfrepRequestError(
      400,
      'PARSE_ERROR',
      'the request body must be a JSON object',
    );
  }
  const context = parsed.context ?? {};
  if (!isObject(context)) {
    throw new OfrepRequestError(
      400,
      'INVALID_CONTEXT',
      'context must be a JSON object',
    );
  }
  const key = context.targetingKey;
  if (key === undefined || key === null || key === '') {
    throw new OfrepRequestError(
      400,
      'TARGETING_KEY_MISSING',
      'context.targetingKey (the tenant name) is required',
    );
  }
  if (typeof key !== 'string' || !NAME.test(key)) {
    throw new OfrepRequestError(
      400,
      'INVALID_CONTEXT',
      'context.targetingKey must be a tenant name (letters, digits, - _ ., at most 63 characters)',
    );
  }
  return {
    tenant: key,
    fallback: {
      plan: optionalName(context, 'plan'),
      partner: optionalName(context, 'partner'),
    },
  };
}

/** Our evaluation as an OFREP success item. */
export function toOfrepEvaluation(e: FlagEvaluation): OfrepEvaluation {
  return {
    key: e.key,
    value: e.value,
    reason: OFREP_REASONS[e.reason],
    variant: e.value ? 'on' : 'off',
    metadata:
      e.bucket === undefined
        ? { reason: e.reason }
        : { reason: e.reason, bucket: e.bucket },
  };
}

/** The bulk ETag: the flag set's version and the resolved context, hashed. */
export function bulkEtag(
  version: string,
  ctx: { tenant: string; plan?: string; partner?: string; environment: string },
): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        version,
        ctx.tenant,
        ctx.plan ?? null,
        ctx.partner ?? null,
        ctx.environment,
      ]),
    )
    .digest('base64url');
  return `"${digest.slice(0, 32)}"`;
}

/** True when an If-None-Match header value lists the ETag (or is `*`). */
export function ifNoneMatchMatches(
  header: string | undefined,
  etag: string,
): boolean {
  if (!header) return false;
  return header.split(',').some(candidate => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * The OFREP router: POST /evaluate/flags/:key (one flag) and
 * POST /evaluate/flags (all flags, with ETag / If-None-Match → 304).
 */
export function createOfrepRouter(options: OfrepRouterOptions): express.Router {
  const { evaluator, authorizeTenant } = options;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  /** The tenant's context, after the caller is allowed to evaluate it. */
  async function resolveContext(req: express.Request) {
    const { tenant, fallback } = parseOfrepBody(req.body);
    try {
      await authorizeTenant(req, tenant);
    } catch (e) {
      if (
        e instanceof NotFoundError ||
        (e as Error)?.name === 'NotFoundError'
      ) {
        throw new OfrepRequestError(
          400,
          'INVALID_CONTEXT',
          `context.targetingKey: no tenant '${tenant}' that you may evaluate`,
        );
      }
      throw e;
    }
    return evaluator.contextFor(tenant, fallback);
  }

  router.post('/evaluate/flags/:key', async (req, res) => {
    const key = req.params.key;
    try {
      const ctx = await resolveContext(req);
      const evaluation = FLAG_KEY.test(key)
        ? await evaluator.evaluateOne(key, ctx)
        : undefined;
      if (!evaluation) {
        throw new OfrepRequestError(404, 'FLAG_NOT_FOUND', `no flag '${key}'`);
      }
      res.json(toOfrepEvaluation(evaluation));
    } catch (e) {
      if (!(e instanceof OfrepRequestError)) throw e;
      res
        .status(e.status)
        .json({ key, errorCode: e.errorCode, errorDetails: e.message });
    }
  });

  router.post('/evaluate/flags', async (req, res) => {
    try {
      const ctx = await resolveContext(req);
      // the version is read before evaluating: a change in between gives the
      // new flags under the old ETag (the next request misses and refreshes),
      // never the old flags under the new one
      const version = await evaluator.version();
      const etag = bulkEtag(version, ctx);
      const cacheHeaders = {
        ETag: etag,
        'Cache-Control': 'private, no-cache',
      };
      if (ifNoneMatchMatches(req.get('if-none-match'), etag)) {
        res.status(304).set(cacheHeaders).end();
        return;
      }
      const evaluations = await evaluator.evaluateAll(ctx, version);
      res.set(cacheHeaders).json({ flags: evaluations.map(toOfrepEvaluation) });
    } catch (e) {
      if (!(e instanceof OfrepRequestError)) throw e;
      res
        .status(e.status)
        .json({ errorCode: e.errorCode, errorDetails: e.message });
    }
  });

  // a body that is not JSON: PARSE_ERROR in the OFREP shape
  router.use(
    (
      err: any,
      req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (
        err?.type !== 'entity.parse.failed' &&
        err?.type !== 'entity.too.large'
      ) {
        next(err);
        return;
      }
      const details =
        err.type === 'entity.too.large'
          ? 'the request body is too large'
          : 'the request body is not valid JSON';
      const raw = req.path.match(/^\/evaluate\/flags\/([^/]+)$/)?.[1];
      let key = raw;
      try {
        key = raw === undefined ? undefined : decodeURIComponent(raw);
      } catch {
        // keep it as sent
      }
      res
        .status(400)
        .json(
          key === undefined
            ? { errorCode: 'PARSE_ERROR', errorDetails: details }
            : { key, errorCode: 'PARSE_ERROR', errorDetails: details },
        );
    },
  );

  return router;
}
