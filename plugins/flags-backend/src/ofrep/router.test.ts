import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { Flag, FlagContext } from '@internal/plugin-flags-common';
import { evaluateFlag, rolloutBucket } from '@internal/plugin-flags-node';
import express from 'express';
import request from 'supertest';
import { FlagEvaluator } from '../service/FlagEvaluator';
import {
  BulkAnswers,
  bulkEtag,
  createOfrepRouter,
  ifNoneMatchMatches,
  OFREP_REASONS,
  parseOfrepBody,
} from './router';

const scope = (s: Partial<Flag['scope']> = {}): Flag['scope'] => ({
  plans: [],
  tenants: [],
  partners: [],
  environments: [],
  ...s,
});

const flag = (
  key: string,
  state: Flag['state'],
  s: Partial<Flag['scope']> = {},
  pct = 0,
): Flag => ({
  key,
  description: '',
  type: 'release',
  state,
  pct,
  scope: scope(s),
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
});

/** The catalog the fake evaluator knows: tenant → plan, partner. */
const catalog: Record<string, { plan: string; partner?: string }> = {
  acme: { plan: 'business', partner: 'nordlicht-it' },
  'bergblick-hotels': { plan: 'enterprise', partner: 'alpenwerk-systems' },
  direkt: { plan: 'starter' },
};

/** An in-memory FlagEvaluator with the same rules as the real one. */
class FakeEvaluator implements FlagEvaluator {
  flags: Flag[] = [];
  v = 1;
  calls = { evaluateAll: 0, evaluateOne: 0 };

  async evaluateAll(ctx: FlagContext) {
    this.calls.evaluateAll++;
    return [...this.flags]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(f => evaluateFlag(f, ctx));
  }
  async evaluateOne(key: string, ctx: FlagContext) {
    this.calls.evaluateOne++;
    const f = this.flags.find(x => x.key === key);
    return f && evaluateFlag(f, ctx);
  }
  async version() {
    return `v${this.v}`;
  }
  async contextFor(
    tenantName: string,
    fallback?: { plan?: string; partner?: string },
  ): Promise<FlagContext> {
    const known = catalog[tenantName];
    const src = known ?? fallback ?? {};
    return {
      tenant: tenantName,
      ...(src.plan ? { plan: src.plan } : {}),
      ...(src.partner ? { partner: src.partner } : {}),
      environment: 'production',
    };
  }
}

const flags = [
  flag('always-on', 'on'),
  flag('always-off', 'off'),
  flag('business-only', 'targeted', { plans: ['business'] }),
  flag('nobody', 'targeted'),
  flag('half', 'rollout', {}, 50),
  flag('nordlicht-half', 'rollout', { partners: ['nordlicht-it'] }, 50),
  flag('all-enterprise', 'rollout', { plans: ['enterprise'] }, 100),
];

const BASE = '/api/flags/ofrep/v1';

function setup(
  authorizeTenant: (
    req: express.Request,
    tenant: string,
  ) => Promise<void> = async () => {},
) {
  const evaluator = new FakeEvaluator();
  evaluator.flags = flags;
  const authorized: string[] = [];
  const app = express();
  app.use(
    BASE,
    createOfrepRouter({
      evaluator,
      authorizeTenant: async (req, tenant) => {
        authorized.push(tenant);
        await authorizeTenant(req, tenant);
      },
    }),
  );
  // as the Backstage error middleware answers thrown errors
  app.use(
    (
      err: Error,
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      const status =
        (
          {
            AuthenticationError: 401,
            NotAllowedError: 403,
            NotFoundError: 404,
          } as Record<string, number>
        )[err.name] ?? 500;
      res
        .status(status)
        .json({ error: { name: err.name, message: err.message } });
    },
  );
  return { app, evaluator, authorized };
}

const one = (app: express.Express, key: string, body: unknown) =>
  request(app)
    .post(`${BASE}/evaluate/flags/${key}`)
    .send(body as object);
const bulk = (app: express.Express, body: unknown, ifNoneMatch?: string) => {
  const r = request(app).post(`${BASE}/evaluate/flags`);
  if (ifNoneMatch !== undefined) r.set('If-None-Match', ifNoneMatch);
  return r.send(body as object);
};

describe('OFREP router: single flag', () => {
  it('answers value, OpenFeature reason, variant and metadata as evaluateFlag decides', async () => {
    const { app } = setup();
    const ctx: FlagContext = {
      tenant: 'acme',
      plan: 'business',
      partner: 'nordlicht-it',
      environment: 'production',
    };
    for (const f of flags) {
      const res = await one(app, f.key, { context: { targetingKey: 'acme' } });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      const expected = evaluateFlag(f, ctx);
      expect(res.body).toEqual({
        key: f.key,
        value: expected.value,
        reason: OFREP_REASONS[expected.reason],
        variant: expected.value ? 'on' : 'off',
        metadata:
          expected.bucket === undefined
            ? { reason: expected.reason }
            : { reason: expected.reason, bucket: expected.bucket },
      });
    }
  });

  it('maps each reason', async () => {
    const { app } = setup();
    const get = async (key: string, context: object) =>
      (await one(app, key, { context })).body;
    expect(await get('always-on', { targetingKey: 'acme' })).toMatchObject({
      value: true,
      reason: 'STATIC',
      variant: 'on',
      metadata: { reason: 'on' },
    });
    expect(await get('always-off', { targetingKey: 'acme' })).toMatchObject({
      value: false,
      reason: 'STATIC',
      variant: 'off',
      metadata: { reason: 'off' },
    });
    expect(await get('business-only', { targetingKey: 'acme' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      metadata: { reason: 'targeted-match' },
    });
    expect(
      await get('business-only', { targetingKey: 'direkt' }),
    ).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      metadata: { reason: 'targeted-no-match' },
    });
    expect(await get('nobody', { targetingKey: 'acme' })).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      metadata: { reason: 'targeted-no-scope' },
    });
    expect(
      await get('nordlicht-half', { targetingKey: 'direkt' }),
    ).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      metadata: { reason: 'rollout-scope-mismatch' },
    });
    const bucket = rolloutBucket('acme', 'half');
    expect(await get('half', { targetingKey: 'acme' })).toEqual({
      key: 'half',
      value: bucket < 5000,
      reason: 'SPLIT',
      variant: bucket < 5000 ? 'on' : 'off',
      metadata: {
        reason: bucket < 5000 ? 'rollout-in' : 'rollout-out',
        bucket,
      },
    });
  });

  it('puts rollout tenants on both sides of a 50 % split', async () => {
    const { app } = setup();
    const values = new Set<boolean>();
    for (let i = 0; i < 40; i++) {
      const res = await one(app, 'half', {
        context: { targetingKey: `t${i}` },
      });
      expect(res.body.reason).toBe('SPLIT');
      expect(res.body.metadata.bucket).toBe(rolloutBucket(`t${i}`, 'half'));
      values.add(res.body.value);
    }
    expect(values).toEqual(new Set([true, false]));
  });

  it('uses the catalog plan and partner over the context, the context for unknown tenants', async () => {
    const { app } = setup();
    // acme is business in the catalog; the context's enterprise does not count
    const known = await one(app, 'all-enterprise', {
      context: { targetingKey: 'acme', plan: 'enterprise' },
    });
    expect(known.body).toMatchObject({ value: false, reason: 'DEFAULT' });
    const knownPlan = await one(app, 'business-only', {
      context: { targetingKey: 'acme', plan: 'starter', partner: 'other' },
    });
    expect(knownPlan.body).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    // not in the catalog: the context's plan and partner are used
    const unknown = await one(app, 'all-enterprise', {
      context: { targetingKey: 'newco', plan: 'enterprise' },
    });
    expect(unknown.body).toMatchObject({ value: true, reason: 'SPLIT' });
    const unknownPartner = await one(app, 'nordlicht-half', {
      context: { targetingKey: 'newco', partner: 'nordlicht-it' },
    });
    expect(unknownPartner.body.reason).toBe('SPLIT');
    const unknownNoPlan = await one(app, 'business-only', {
      context: { targetingKey: 'newco' },
    });
    expect(unknownNoPlan.body).toMatchObject({
      value: false,
      reason: 'DEFAULT',
    });
  });

  it('ignores other context attributes, null plan and partner included', async () => {
    const { app } = setup();
    const res = await one(app, 'business-only', {
      context: {
        targetingKey: 'newco',
        plan: 'business',
        partner: null,
        environment: 'staging',
        email: 'x@example.com',
        nested: { a: 1 },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
  });

  it('answers 404 FLAG_NOT_FOUND for an unknown flag', async () => {
    const { app } = setup();
    const res = await one(app, 'no-such-flag', {
      context: { targetingKey: 'acme' },
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      key: 'no-such-flag',
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: "no flag 'no-such-flag'",
    });
    const bad = await one(app, 'Not%20A%20Key', {
      context: { targetingKey: 'acme' },
    });
    expect(bad.status).toBe(404);
    expect(bad.body).toMatchObject({
      key: 'Not A Key',
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it.each([
    ['no body', undefined],
    ['no context', {}],
    ['an empty context', { context: {} }],
    ['an empty targetingKey', { context: { targetingKey: '' } }],
    [
      'a null targetingKey',
      { context: { targetingKey: null, plan: 'business' } },
    ],
  ])('answers 400 TARGETING_KEY_MISSING for %s', async (_, body) => {
    const { app, authorized } = setup();
    const res = await one(app, 'always-on', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      key: 'always-on',
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(res.body.errorDetails).toMatch(/targetingKey/);
    expect(authorized).toEqual([]);
  });

  it.each([
    ['a numeric targetingKey', { context: { targetingKey: 42 } }],
    ['a targetingKey that is no name', { context: { targetingKey: 'a b/c' } }],
    ['a too long targetingKey', { context: { targetingKey: 'a'.repeat(64) } }],
    ['a context that is an array', { context: ['acme'] }],
    ['a context that is a string', { context: 'acme' }],
    ['a numeric plan', { context: { targetingKey: 'acme', plan: 3 } }],
    [
      'a partner that is no name',
      { context: { targetingKey: 'acme', partner: '../x' } },
    ],
  ])('answers 400 INVALID_CONTEXT for %s', async (_, body) => {
    const { app } = setup();
    const res = await one(app, 'always-on', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      key: 'always-on',
      errorCode: 'INVALID_CONTEXT',
    });
  });

  it('answers 400 PARSE_ERROR for a body that is not JSON or not an object', async () => {
    const { app } = setup();
    const res = await request(app)
      .post(`${BASE}/evaluate/flags/always-on`)
      .set('Content-Type', 'application/json')
      .send('{"context": {');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      key: 'always-on',
      errorCode: 'PARSE_ERROR',
      errorDetails: 'the request body is not valid JSON',
    });
    const arr = await one(app, 'always-on', [
      { context: { targetingKey: 'acme' } },
    ]);
    expect(arr.status).toBe(400);
    expect(arr.body).toMatchObject({
      key: 'always-on',
      errorCode: 'PARSE_ERROR',
    });
  });

  it('asks authorizeTenant about the tenant; NotAllowedError is 403, NotFoundError INVALID_CONTEXT', async () => {
    const { app, authorized } = setup(async (_req, tenant) => {
      if (tenant === 'bergblick-hotels') throw new NotAllowedError('not yours');
      if (tenant === 'hidden') throw new NotFoundError('no such tenant');
      if (tenant === 'anon') throw new AuthenticationError('who are you');
    });
    expect(
      (await one(app, 'always-on', { context: { targetingKey: 'acme' } }))
        .status,
    ).toBe(200);
    const forbidden = await one(app, 'always-on', {
      context: { targetingKey: 'bergblick-hotels' },
    });
    expect(forbidden.status).toBe(403);
    const hidden = await one(app, 'always-on', {
      context: { targetingKey: 'hidden' },
    });
    expect(hidden.status).toBe(400);
    expect(hidden.body).toEqual({
      key: 'always-on',
      errorCode: 'INVALID_CONTEXT',
      errorDetails:
        "context.targetingKey: no tenant 'hidden' that you may evaluate",
    });
    expect(
      (await one(app, 'always-on', { context: { targetingKey: 'anon' } }))
        .status,
    ).toBe(401);
    expect(authorized).toEqual(['acme', 'bergblick-hotels', 'hidden', 'anon']);
    // the flag is not looked at before the tenant is allowed
    expect(
      (await one(app, 'no-such-flag', { context: { targetingKey: 'hidden' } }))
        .status,
    ).toBe(400);
  });
});

describe('OFREP router: bulk', () => {
  it('answers every flag, ordered by key, with an ETag', async () => {
    const { app } = setup();
    const res = await bulk(app, { context: { targetingKey: 'acme' } });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const ctx = await new FakeEvaluator().contextFor('acme');
    expect(res.body).toEqual({
      flags: [...flags]
        .sort((a, b) => a.key.localeCompare(b.key))
        .map(f => {
          const e = evaluateFlag(f, ctx);
          return {
            key: f.key,
            value: e.value,
            reason: OFREP_REASONS[e.reason],
            variant: e.value ? 'on' : 'off',
            metadata:
              e.bucket === undefined
                ? { reason: e.reason }
                : { reason: e.reason, bucket: e.bucket },
          };
        }),
    });
  });

  it('answers 304 without a body and without evaluating when If-None-Match has the ETag', async () => {
    const { app, evaluator } = setup();
    const body = { context: { targetingKey: 'acme' } };
    const first = await bulk(app, body);
    const etag = first.headers.etag;
    expect(evaluator.calls.evaluateAll).toBe(1);

    const second = await bulk(app, body, etag);
    expect(second.status).toBe(304);
    expect(second.text).toBe('');
    expect(second.headers.etag).toBe(etag);
    expect(evaluator.calls.evaluateAll).toBe(1);

    // weak, listed, and * match too
    expect((await bulk(app, body, `"other", W/${etag}`)).status).toBe(304);
    expect((await bulk(app, body, '*')).status).toBe(304);
    expect((await bulk(app, body, '"other"')).status).toBe(200);
  });

  it('changes the ETag with the flag set version and with the resolved context', async () => {
    const { app, evaluator } = setup();
    const etagOf = async (context: object) =>
      (await bulk(app, { context })).headers.etag as string;
    const acme = await etagOf({ targetingKey: 'acme' });
    // catalog values win, so a fallback plan does not change acme's context
    expect(await etagOf({ targetingKey: 'acme', plan: 'enterprise' })).toBe(
      acme,
    );
    expect(await etagOf({ targetingKey: 'direkt' })).not.toBe(acme);
    const newco = await etagOf({ targetingKey: 'newco', plan: 'starter' });
    expect(await etagOf({ targetingKey: 'newco', plan: 'business' })).not.toBe(
      newco,
    );
    expect(
      await etagOf({ targetingKey: 'newco', plan: 'starter', partner: 'x' }),
    ).not.toBe(newco);

    evaluator.v++;
    evaluator.flags = [...flags, flag('new-flag', 'on')];
    const after = await bulk(app, { context: { targetingKey: 'acme' } }, acme);
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(acme);
    expect(after.body.flags.map((f: { key: string }) => f.key)).toContain(
      'new-flag',
    );
    expect(
      (
        await bulk(
          app,
          { context: { targetingKey: 'acme' } },
          after.headers.etag,
        )
      ).status,
    ).toBe(304);
  });

  it('answers bulk errors without a key', async () => {
    const { app } = setup(async (_req, tenant) => {
      if (tenant === 'hidden') throw new NotFoundError('no');
    });
    const missing = await bulk(app, { context: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: 'context.targetingKey (the tenant name) is required',
    });
    const invalid = await bulk(app, { context: { targetingKey: 7 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errorCode).toBe('INVALID_CONTEXT');
    expect(invalid.body.key).toBeUndefined();
    const hidden = await bulk(app, { context: { targetingKey: 'hidden' } });
    expect(hidden.status).toBe(400);
    expect(hidden.body.errorCode).toBe('INVALID_CONTEXT');
    const parse = await request(app)
      .post(`${BASE}/evaluate/flags`)
      .set('Content-Type', 'application/json')
      .send('nope');
    expect(parse.status).toBe(400);
    expect(parse.body).toEqual({
      errorCode: 'PARSE_ERROR',
      errorDetails: 'the request body is not valid JSON',
    });
    const big = await bulk(app, {
      context: { targetingKey: 'acme', pad: 'x'.repeat(70_000) },
    });
    expect(big.status).toBe(400);
    expect(big.body.errorCode).toBe('PARSE_ERROR');
  });

  it('passes evaluator failures on to the error middleware, without an ETag', async () => {
    const { app, evaluator } = setup();
    evaluator.evaluateAll = async () => {
      throw new Error('database is gone');
    };
    const res = await bulk(app, { context: { targetingKey: 'acme' } });
    expect(res.status).toBe(500);
    // (express adds its own weak ETag to any body it sends; not ours)
    expect(res.headers.etag ?? '').not.toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('serves the same bytes again for the same context and version without evaluating, and evaluates anew after a change', async () => {
    const { app, evaluator } = setup();
    const acme = { context: { targetingKey: 'acme' } };
    const first = await bulk(app, acme);
    expect(first.headers['content-type']).toBe(
      'application/json; charset=utf-8',
    );
    const again = await bulk(app, acme);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(evaluator.calls.evaluateAll).toBe(1);
    // another context is its own answer
    const direkt = await bulk(app, { context: { targetingKey: 'direkt' } });
    expect(direkt.text).not.toBe(first.text);
    expect(evaluator.calls.evaluateAll).toBe(2);
    // the same resolved context is the same answer, whatever the request
    // said besides (acme's catalog plan wins over the context's)
    await bulk(app, { context: { targetingKey: 'acme', plan: 'starter' } });
    expect(evaluator.calls.evaluateAll).toBe(2);
    // a change: a new version, evaluated again
    evaluator.v++;
    evaluator.flags = flags.filter(f => f.key !== 'always-on');
    const changed = await bulk(app, acme);
    expect(evaluator.calls.evaluateAll).toBe(3);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    expect(changed.body.flags.map((f: { key: string }) => f.key)).not.toContain(
      'always-on',
    );
  });

  it('gives a client that takes gzip the same answer gzipped, compressed once', async () => {
    const { app, evaluator } = setup();
    const acme = { context: { targetingKey: 'acme' } };
    // (supertest asks for gzip unless told otherwise)
    const plain = await request(app)
      .post(`${BASE}/evaluate/flags`)
      .set('Accept-Encoding', 'identity')
      .send(acme);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/);
    const zipped = await request(app)
      .post(`${BASE}/evaluate/flags`)
      .set('Accept-Encoding', 'gzip, deflate, br')
      .send(acme);
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/);
    expect(zipped.headers.etag).toBe(plain.headers.etag);
    // (supertest unzips it)
    expect(zipped.text).toBe(plain.text);
    const again = await request(app)
      .post(`${BASE}/evaluate/flags`)
      .set('Accept-Encoding', 'gzip')
      .send(acme);
    expect(again.text).toBe(plain.text);
    expect(evaluator.calls.evaluateAll).toBe(1);
    const identity = await request(app)
      .post(`${BASE}/evaluate/flags`)
      .set('Accept-Encoding', 'gzip;q=0, identity')
      .send(acme);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.text).toBe(plain.text);
  });

  it('ignores attributes it does not read, whatever they hold; names the attribute it refuses', async () => {
    const { app } = setup();
    const ok = await bulk(app, {
      context: { targetingKey: 'acme', note: 'a\u0000b', nested: [{}] },
    });
    expect(ok.status).toBe(200);
    const nul = await bulk(app, { context: { targetingKey: 'ac\u0000me' } });
    expect(nul.status).toBe(400);
    expect(nul.body).toEqual({
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'context.targetingKey: must not contain a NUL byte',
    });
    const plan = await bulk(app, {
      context: { targetingKey: 'acme', plan: 'a plan' },
    });
    expect(plan.body).toEqual({
      errorCode: 'INVALID_CONTEXT',
      errorDetails:
        'context.plan: must be a catalog name (letters, digits, - _ ., at most 63 characters)',
    });
    const key = await bulk(app, { context: { targetingKey: ['acme'] } });
    expect(key.body).toEqual({
      errorCode: 'INVALID_CONTEXT',
      errorDetails:
        'context.targetingKey: must be a tenant name (letters, digits, - _ ., at most 63 characters)',
    });
  });

  it('names the decoded key in a PARSE_ERROR of the single endpoint', async () => {
    const { app } = setup();
    const res = await request(app)
      .post(`${BASE}/evaluate/flags/my%2Dflag`)
      .set('Content-Type', 'application/json')
      .send('{');
    expect(res.body).toMatchObject({
      key: 'my-flag',
      errorCode: 'PARSE_ERROR',
    });
  });
});

describe('OFREP helpers', () => {
  it('parses the body', () => {
    expect(
      parseOfrepBody({ context: { targetingKey: 'acme', plan: 'business' } }),
    ).toEqual({
      tenant: 'acme',
      fallback: { plan: 'business', partner: undefined },
    });
  });

  it('hashes version and context into the ETag', () => {
    const ctx = { tenant: 'acme', environment: 'production' };
    expect(bulkEtag('v1', ctx)).toBe(bulkEtag('v1', { ...ctx }));
    expect(bulkEtag('v1', ctx)).not.toBe(bulkEtag('v2', ctx));
    expect(bulkEtag('v1', ctx)).not.toBe(
      bulkEtag('v1', { ...ctx, environment: 'staging' }),
    );
    expect(bulkEtag('v1', ctx)).not.toBe(
      bulkEtag('v1', { ...ctx, plan: 'starter' }),
    );
  });

  it('keeps the answers of the most recent contexts of the current version', () => {
    const answers = new BulkAnswers(2);
    const ctx = (tenant: string) => ({ tenant, environment: 'production' });
    const a = answers.get('v1', ctx('a'));
    expect(a.etag).toBe(bulkEtag('v1', ctx('a')));
    answers.setBody(a, Buffer.from('a'));
    expect(answers.get('v1', ctx('a')).body?.toString()).toBe('a');
    answers.setBody(answers.get('v1', ctx('b')), Buffer.from('b'));
    answers.setBody(answers.get('v1', ctx('c')), Buffer.from('c'));
    // two kept: a (the oldest) is gone
    expect(answers.get('v1', ctx('a')).body).toBeUndefined();
    expect(answers.get('v1', ctx('c')).body?.toString()).toBe('c');
    // a new version drops every answer, and a late body of the old one is
    // not kept
    const old = answers.get('v1', ctx('d'));
    expect(answers.get('v2', ctx('c')).body).toBeUndefined();
    answers.setBody(old, Buffer.from('d'));
    expect(answers.get('v2', ctx('d')).body).toBeUndefined();
  });

  it('matches If-None-Match lists', () => {
    expect(ifNoneMatchMatches(undefined, '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"b" ,  "a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('a', '"a"')).toBe(false);
  });
});
