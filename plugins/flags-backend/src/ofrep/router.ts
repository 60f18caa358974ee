/*
 * OFREP (OpenFeature Remote Evaluation Protocol) for OpenFeature clients: a
 * thin adapter from the protocol to the FlagEvaluator. Mounted by the flags
 * router at /ofrep/v1, so the paths are /api/flags/ofrep/v1/evaluate/flags
 * and /api/flags/ofrep/v1/evaluate/flags/{key}. docs/flags.md#openfeature-ofrep
 * describes the protocol as served here.
 */
import { InputError, NotFoundError } from '@backstage/errors';
import { parseInput } from '@internal/plugin-dezky-node';
import {
  FlagContext,
  FlagEvaluation,
  FlagReason,
} from '@internal/plugin-flags-common';
import { createHash } from 'crypto';
import express from 'express';
import { gzipSync } from 'zlib';
import Router from 'express-promise-router';
import { z } from 'zod';
import { FlagEvaluator } from '../service/FlagEvaluator';
import { CATALOG_NAME, FLAG_KEY_PATTERN } from '../validation';

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

const NAME_RULE = '(letters, digits, - _ ., at most 63 characters)';

/** A catalog name (metadata.name, plan key); absent or null: none. */
const catalogName = (what: string) => {
  const message = `must be ${what} ${NAME_RULE}`;
  return z.string({ error: message }).regex(CATALOG_NAME, message);
};

/** The body: a JSON object (anything else is PARSE_ERROR). */
const ofrepBody = z.looseObject({});

/** Its context: a JSON object when present (else INVALID_CONTEXT). */
const ofrepContext = z.looseObject({});

/**
 * The attributes we read (INVALID_CONTEXT when one is not a catalog name);
 * every other attribute is ignored (the environment comes from config).
 */
const ofrepAttributes = z.object({
  context: z.object({
    targetingKey: catalogName('a tenant name'),
    plan: catalogName('a catalog name').nullish(),
    partner: catalogName('a catalog name').nullish(),
  }),
});

/**
 * The tenant and the fallback plan/partner of an OFREP request body
 * `{ context: { targetingKey, plan?, partner?, ... } }`, parsed with zod
 * into OFREP's error codes: a body that is not an object is PARSE_ERROR, a
 * missing (absent, null or empty) targetingKey TARGETING_KEY_MISSING, a
 * context that is not an object or an attribute that is not a catalog name
 * INVALID_CONTEXT (naming it, as parseInput does).
 */
export function parseOfrepBody(body: unknown): OfrepRequestContext {
  const parsed = ofrepBody.safeParse(body ?? {});
  if (!parsed.success) {
    throw new OfrepRequestError(
      400,
      'PARSE_ERROR',
      'the request body must be a JSON object',
    );
  }
  const context = ofrepContext.safeParse(parsed.data.context ?? {});
  if (!context.success) {
    throw new OfrepRequestError(
      400,
      'INVALID_CONTEXT',
      'context must be a JSON object',
    );
  }
  const { targetingKey, plan, partner } = context.data;
  if (
    targetingKey === undefined ||
    targetingKey === null ||
    targetingKey === ''
  ) {
    throw new OfrepRequestError(
      400,
      'TARGETING_KEY_MISSING',
      'context.targetingKey (the tenant name) is required',
    );
  }
  try {
    // only the attributes read are validated (and checked for NUL bytes):
    // the others are ignored, whatever they hold
    const { context: c } = parseInput(ofrepAttributes, {
      context: { targetingKey, plan, partner },
    });
    return {
      tenant: c.targetingKey,
      fallback: {
        plan: c.plan ?? undefined,
        partner: c.partner ?? undefined,
      },
    };
  } catch (e) {
    if (e instanceof InputError) {
      throw new OfrepRequestError(400, 'INVALID_CONTEXT', e.message);
    }
    throw e;
  }
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

/** What the bulk ETag hashes: the flag set's version and the resolved context. */
function bulkKey(version: string, ctx: FlagContext): string {
  return JSON.stringify([
    version,
    ctx.tenant,
    ctx.plan ?? null,
    ctx.partner ?? null,
    ctx.environment,
  ]);
}

/** The bulk ETag: the flag set's version and the resolved context, hashed. */
export function bulkEtag(version: string, ctx: FlagContext): string {
  const digest = createHash('sha256')
    .update(bulkKey(version, ctx))
    .digest('base64url');
  return `"${digest.slice(0, 32)}"`;
}

/** A bulk answer: its ETag and, once evaluated, its JSON body (and gzipped). */
interface BulkAnswer {
  version: string;
  key: string;
  etag: string;
  body?: Buffer;
  gzip?: Buffer;
}

/**
 * The bulk answers of the most recently asked contexts (at most `max`), by
 * version and resolved context. The answer is a function of those alone —
 * the flags at that version, evaluated for that context — so while the
 * version stays the same, the same context gets the same bytes without
 * hashing, evaluating, serialising or compressing again. A new version
 * drops them all.
 */
export class BulkAnswers {
  private version?: string;
  private readonly answers = new Map<string, BulkAnswer>();

  constructor(private readonly max = 256) {}

  /** The answer for the context at this version: known, or a new one with its ETag. */
  get(version: string, ctx: FlagContext): BulkAnswer {
    if (version !== this.version) {
      this.answers.clear();
      this.version = version;
    }
    const key = bulkKey(version, ctx);
    const known = this.answers.get(key);
    if (known) return known;
    const answer = { version, key, etag: bulkEtag(version, ctx) };
    this.keep(answer);
    return answer;
  }

  /** Keeps the body of an answer, unless its version is no longer current. */
  setBody(answer: BulkAnswer, body: Buffer): Buffer {
    answer.body = body;
    if (answer.version === this.version) this.keep(answer);
    return body;
  }

  /** The body gzipped (level 6, as the backend's compression), once per answer. */
  gzipOf(answer: BulkAnswer, body: Buffer): Buffer {
    answer.gzip ??= gzipSync(body);
    return answer.gzip;
  }

  private keep(answer: BulkAnswer) {
    this.answers.delete(answer.key);
    if (this.answers.size >= this.max) {
      // the oldest first (a Map iterates in insertion order)
      this.answers.delete(this.answers.keys().next().value!);
    }
    this.answers.set(answer.key, answer);
  }
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
  const answers = new BulkAnswers();
  const cacheHeaders = (etag: string) => ({
    ETag: etag,
    'Cache-Control': 'private, no-cache',
  });
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
      const evaluation = FLAG_KEY_PATTERN.test(key)
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
      const answer = answers.get(version, ctx);
      if (ifNoneMatchMatches(req.get('if-none-match'), answer.etag)) {
        res.status(304).set(cacheHeaders(answer.etag)).end();
        return;
      }
      const body =
        answer.body ??
        answers.setBody(
          answer,
          Buffer.from(
            JSON.stringify({
              flags: (await evaluator.evaluateAll(ctx, version)).map(
                toOfrepEvaluation,
              ),
            }),
          ),
        );
      res
        .set(cacheHeaders(answer.etag))
        .set('Content-Type', 'application/json; charset=utf-8')
        .vary('Accept-Encoding');
      // a client that takes gzip (browsers, fetch) gets the kept gzipped
      // bytes; the backend's compression leaves an encoded answer alone
      if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
        res.set('Content-Encoding', 'gzip').send(answers.gzipOf(answer, body));
      } else {
        res.send(body);
      }
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
