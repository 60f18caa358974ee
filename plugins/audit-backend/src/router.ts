import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
  auditEventReadPermission,
} from '@internal/plugin-audit-common';
import { auditEventResourceRef } from '@internal/plugin-audit-node';
import {
  parseInput,
  PartnerScopeQuery,
  RouterKit,
} from '@internal/plugin-dezky-node';
import { once } from 'events';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditEventFilter } from './database/AuditStore';
import { AuditService } from './services/AuditService';
import { writeEventsCsv } from './services/csv';

const isoTime = z
  .string()
  .refine(s => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time')
  .transform(s => new Date(s).toISOString());
const text = z.string().trim().min(1).max(200);

const filterQuery = z
  .object({
    since: isoTime.optional(),
    until: isoTime.optional(),
    action: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.:\-]+\*?$/, 'letters, digits, . _ - : and a final *')
      .max(200)
      .optional(),
    tenant: text.optional(),
    partner: text.optional(),
    actor: text.optional(),
    outcome: z.enum(['success', 'failure']).optional(),
    source: z
      .string()
      .regex(/^[a-z0-9-]{1,50}$/, 'a source name such as authentik')
      .optional(),
    q: text.optional(),
  })
  .strict();

const pageQuery = filterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'the nextCursor of a previous page')
    .transform(Number)
    .optional(),
});

/** The store filter of parsed query parameters: `tenant.*` → prefix `tenant.`. */
function toFilter(q: z.output<typeof filterQuery>): AuditEventFilter {
  const { action, ...rest } = q;
  if (action?.endsWith('*')) {
    const prefix = action.slice(0, -1);
    return prefix ? { ...rest, actionPrefix: prefix } : rest;
  }
  return { ...rest, action };
}

/**
 * authorize → parse → delegate, with the shared router toolkit; errors from
 * @backstage/errors. Every answer is `Cache-Control: no-store`.
 */
export async function createRouter(options: {
  kit: RouterKit;
  audit: AuditService;
  /** Routers that need the raw body (webhooks), mounted before JSON parsing. */
  rawRouters?: express.Router[];
}): Promise<express.Router> {
  const { kit, audit } = options;
  const router = Router();
  router.use(kit.defaults());
  for (const raw of options.rawRouters ?? []) router.use(raw);
  router.use(kit.jsonParser());

  const authorize = kit.authorize;
  const parse = <T extends z.ZodType>(schema: T, value: unknown) =>
    parseInput(schema, value, 'query');

  /** undefined: every event; criteria: only the rows they allow (in SQL). */
  const readScope = async (
    req: express.Request,
  ): Promise<PermissionCriteria<PartnerScopeQuery> | undefined> => {
    const scope = await kit.partnerScope(
      req,
      auditEventReadPermission,
      auditEventResourceRef,
    );
    return scope.all ? undefined : scope.criteria;
  };

  // --- Cold archive ---
  // docs/audit.md#cold-archive. Listing: audit.chain.verify; running and
  // restoring: audit.checkpoint.create (operators). `tier=archive` on
  // /events and /events.csv searches restored batches with the same filters
  // and partner scope; without it (or `tier=hot`) the handlers below answer.
  const tierQuery = z.object({ tier: z.enum(['hot', 'archive']).optional() });
  router.get(['/events', '/events.csv'], async (req, res, next) => {
    const { tier: rawTier, ...rest } = req.query;
    if (rawTier === undefined) {
      next();
      return;
    }
    const scope = await readScope(req);
    const { tier } = parse(tierQuery, { tier: rawTier });
    if (tier !== 'archive') {
      req.query = rest;
      next();
      return;
    }
    if (req.path === '/events') {
      const { limit, cursor, ...filter } = parse(pageQuery, rest);
      res.json(
        await audit.events({
          filter: toFilter(filter),
          scope,
          limit,
          cursor,
          tier,
        }),
      );
      return;
    }
    const filter = toFilter(parse(filterQuery, rest));
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-archive-${day}.csv"`,
    );
    await writeEventsCsv(audit.allEvents({ filter, scope, tier }), res);
  });

  router.get('/archive/batches', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    res.json({ items: await audit.archive.batches() });
  });

  router.post('/archive/run', async (req, res) => {
    await authorize(req, auditCheckpointCreatePermission);
    res.json(await audit.archive.run());
  });

  const batchId = z.object({
    id: z
      .string()
      .regex(/^[1-9][0-9]{0,9}$/, 'a batch id')
      .transform(Number),
  });

  router.post('/archive/batches/:id/restore', async (req, res) => {
    await authorize(req, auditCheckpointCreatePermission);
    const { id } = parse(batchId, req.params);
    res.json(await audit.archive.restore(id));
  });

  router.delete('/archive/batches/:id/restore', async (req, res) => {
    await authorize(req, auditCheckpointCreatePermission);
    const { id } = parse(batchId, req.params);
    await audit.archive.dropRestore(id);
    res.status(204).end();
  });
  // --- end Cold archive ---

  router.get('/verify', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    res.json(await audit.verify());
  });

  router.get('/status', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    res.json(await audit.status());
  });

  // public: anyone may check checkpoint signatures offline
  router.get('/keys', async (_req, res) => {
    res.json(await audit.keys());
  });

  router.post('/checkpoints', async (req, res) => {
    await authorize(req, auditCheckpointCreatePermission);
    res.status(201).json(await audit.checkpoint('manual'));
  });

  const exportQuery = z
    .object({
      fromSeq: z.coerce.number().int().min(1).optional(),
      toSeq: z.coerce.number().int().min(1).optional(),
    })
    .strict();

  // the chain as NDJSON, for scripts/audit-verify (operators)
  router.get('/export', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    const range = parse(exportQuery, req.query);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      'attachment; filename="audit-export.ndjson"',
    );
    try {
      await audit.exportRange({
        ...range,
        write: async chunk => {
          if (!res.write(chunk)) {
            await Promise.race([once(res, 'drain'), once(res, 'close')]);
          }
        },
      });
    } catch (error) {
      // before the first line an error is an ordinary answer (e.g. 400)
      if (!res.headersSent) throw error;
      res.destroy(error as Error);
      return;
    }
    res.end();
  });

  // --- Merkle tree (RFC 9162) ---
  // docs/audit.md#merkle-tree-and-proofs. The signed checkpoint of the
  // current tree (a C2SP tlog-checkpoint note, text/plain) and proofs against
  // any tree size up to it, hashes base64; operators (audit.chain.verify).
  router.get('/checkpoint', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    if (!req.accepts('text/plain')) {
      res.status(406).json({
        error: {
          name: 'NotAcceptableError',
          message: 'The checkpoint is a signed note: Accept text/plain',
        },
      });
      return;
    }
    const note = await audit.checkpointNote();
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/plain; charset=utf-8').send(note);
  });

  const treeSizeParam = (name: string) =>
    z
      .string({
        error: issue =>
          issue.input === undefined
            ? `${name} is required`
            : `${name} must be one whole number`,
      })
      .regex(/^[0-9]{1,16}$/, `${name} must be a whole number`)
      .transform(Number)
      .refine(n => n >= 1, `${name} must be at least 1`);

  const inclusionQuery = z
    .object({ seq: treeSizeParam('seq'), treeSize: treeSizeParam('treeSize') })
    .strict();

  router.get('/proofs/inclusion', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    const { seq, treeSize } = parse(inclusionQuery, req.query);
    res.json(await audit.inclusionProof(seq, treeSize));
  });

  const consistencyQuery = z
    .object({ from: treeSizeParam('from'), to: treeSizeParam('to') })
    .strict();

  router.get('/proofs/consistency', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    const { from, to } = parse(consistencyQuery, req.query);
    res.json(await audit.consistencyProof(from, to));
  });
  // --- end Merkle tree ---

  router.get('/events', async (req, res) => {
    const scope = await readScope(req);
    const { limit, cursor, ...filter } = parse(pageQuery, req.query);
    res.json(
      await audit.events({ filter: toFilter(filter), scope, limit, cursor }),
    );
  });

  router.get('/events.csv', async (req, res) => {
    const scope = await readScope(req);
    const filter = toFilter(parse(filterQuery, req.query));
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-${day}.csv"`,
    );
    await writeEventsCsv(audit.allEvents({ filter, scope }), res);
  });

  return router;
}
