import { Flag, FlagContext, FlagScope } from '@internal/plugin-flags-common';
import { createHash } from 'crypto';
import {
  compileFlag,
  compileFlags,
  evaluateFlag,
  isScopeEmpty,
  matchesScope,
  rolloutBucket,
  rolloutThreshold,
} from './evaluate';

const EMPTY: FlagScope = {
  plans: [],
  tenants: [],
  partners: [],
  environments: [],
};

function flag(
  state: Flag['state'],
  scope: Partial<FlagScope> = {},
  pct = 0,
  key = 'rollout_flag',
): Flag {
  return {
    key,
    description: '',
    type: 'release',
    state,
    pct,
    scope: { ...EMPTY, ...scope },
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
  };
}

/** acme: a partner's tenant on business, in production. */
const acme: FlagContext = {
  tenant: 'acme',
  plan: 'business',
  partner: 'nordlicht-it',
  environment: 'production',
};
/** kiel-klinik: a direct customer (no partner). */
const kiel: FlagContext = {
  tenant: 'kiel-klinik',
  plan: 'enterprise',
  environment: 'production',
};

describe('rolloutBucket', () => {
  it('is the first 4 bytes of SHA-256 of "<tenant>:<flagKey>", big-endian, mod 10000 (docs/flags.md worked example)', () => {
    // sha256("acme:new_billing_engine") starts e7 f6 e2 c6 = 3891716806
    expect(3891716806 % 10_000).toBe(6806);
    expect(rolloutBucket('acme', 'new_billing_engine')).toBe(6806);
  });

  it('hashes the UTF-8 bytes', () => {
    // "ü" is two bytes in UTF-8; a latin1 hash would differ
    const latin1 = createHash('sha256')
      .update(Buffer.from('müller:k', 'latin1'))
      .digest()
      .readUInt32BE(0);
    const utf8 = createHash('sha256')
      .update(Buffer.from('müller:k', 'utf8'))
      .digest()
      .readUInt32BE(0);
    expect(rolloutBucket('müller', 'k')).toBe(utf8 % 10_000);
    expect(utf8 % 10_000).not.toBe(latin1 % 10_000);
  });

  it('depends on the flag: the same tenant falls into different buckets', () => {
    const buckets = new Set(
      ['a', 'b', 'c', 'd', 'e'].map(k => rolloutBucket('acme', k)),
    );
    expect(buckets.size).toBeGreaterThan(1);
  });
});

describe('rolloutThreshold', () => {
  it.each([
    [0, 0],
    [0.01, 1],
    [12.5, 1250],
    [33.33, 3333],
    [99.99, 9999],
    [100, 10_000],
    [0.29, 29], // 0.29 × 100 is 28.999… in floating point
  ])('%p %% → %p', (pct, threshold) => {
    expect(rolloutThreshold(pct)).toBe(threshold);
  });
});

describe('evaluateFlag: off and on ignore the scope', () => {
  it.each<[Flag['state'], boolean]>([
    ['off', false],
    ['on', true],
  ])('%s → %p, for any tenant and any scope', (state, value) => {
    for (const scope of [
      {},
      { tenants: ['acme'] },
      { tenants: ['someone-else'] },
    ]) {
      for (const ctx of [acme, kiel]) {
        expect(evaluateFlag(flag(state, scope), ctx)).toEqual({
          key: 'rollout_flag',
          value,
          reason: state,
        });
      }
    }
  });
});

describe('evaluateFlag: targeted', () => {
  it('is off for everyone when every scope list is empty (an empty allowlist means nobody)', () => {
    for (const ctx of [acme, kiel]) {
      expect(evaluateFlag(flag('targeted'), ctx)).toEqual({
        key: 'rollout_flag',
        value: false,
        reason: 'targeted-no-scope',
      });
    }
  });

  it.each<[string, Partial<FlagScope>, FlagContext, boolean]>([
    // each axis alone, matching and not
    ['plans: listed', { plans: ['business'] }, acme, true],
    ['plans: not listed', { plans: ['starter'] }, acme, false],
    ['plans: one of several', { plans: ['starter', 'business'] }, acme, true],
    ['tenants: listed', { tenants: ['acme'] }, acme, true],
    ['tenants: not listed', { tenants: ['hafenkontor'] }, acme, false],
    ['partners: listed', { partners: ['nordlicht-it'] }, acme, true],
    ['partners: not listed', { partners: ['baltic-bytes'] }, acme, false],
    [
      'partners: a direct customer has none',
      { partners: ['nordlicht-it'] },
      kiel,
      false,
    ],
    ['environments: listed', { environments: ['production'] }, acme, true],
    ['environments: not listed', { environments: ['staging'] }, acme, false],
    // several axes: every non-empty list must contain the tenant's value
    [
      'plans and partners both match',
      { plans: ['business'], partners: ['nordlicht-it'] },
      acme,
      true,
    ],
    [
      'plans match, partners do not',
      { plans: ['business'], partners: ['alpenwerk-systems'] },
      acme,
      false,
    ],
    [
      'all four axes match',
      {
        plans: ['business'],
        tenants: ['acme'],
        partners: ['nordlicht-it'],
        environments: ['production'],
      },
      acme,
      true,
    ],
    [
      'all four axes, environment does not',
      {
        plans: ['business'],
        tenants: ['acme'],
        partners: ['nordlicht-it'],
        environments: ['development'],
      },
      acme,
      false,
    ],
    // exact, case-sensitive values
    ['values are compared exactly', { tenants: ['ACME'] }, acme, false],
  ])('%s', (_name, scope, ctx, value) => {
    expect(evaluateFlag(flag('targeted', scope), ctx)).toEqual({
      key: 'rollout_flag',
      value,
      reason: value ? 'targeted-match' : 'targeted-no-match',
    });
  });
});

// Tenants whose bucket for `rollout_flag` sits at the edges (found once by
// search; asserted below so that a change of the hash shows here first).
const EDGE = {
  'tenant-813': 0,
  'tenant-2163': 1,
  'tenant-11300': 9998,
  'tenant-9415': 9999,
} as const;
const ctxOf = (tenant: string): FlagContext => ({
  tenant,
  environment: 'production',
});

describe('evaluateFlag: rollout', () => {
  it('uses tenants at the bucket edges', () => {
    for (const [tenant, bucket] of Object.entries(EDGE)) {
      expect(rolloutBucket(tenant, 'rollout_flag')).toBe(bucket);
    }
  });

  it.each<[number, string, boolean]>([
    // pct 0: nobody, not even bucket 0
    [0, 'tenant-813', false],
    [0, 'tenant-9415', false],
    // pct 0.01: threshold 1, exactly bucket 0
    [0.01, 'tenant-813', true],
    [0.01, 'tenant-2163', false],
    // pct 99.99: threshold 9999, everyone but bucket 9999
    [99.99, 'tenant-11300', true],
    [99.99, 'tenant-9415', false],
    // pct 100: everyone
    [100, 'tenant-813', true],
    [100, 'tenant-9415', true],
  ])('pct %p: %s → %p', (pct, tenant, value) => {
    expect(evaluateFlag(flag('rollout', {}, pct), ctxOf(tenant))).toEqual({
      key: 'rollout_flag',
      value,
      reason: value ? 'rollout-in' : 'rollout-out',
      bucket: EDGE[tenant as keyof typeof EDGE],
    });
  });

  it('matches everyone with empty scope lists (unlike targeted)', () => {
    expect(evaluateFlag(flag('rollout', {}, 100), acme).value).toBe(true);
    expect(evaluateFlag(flag('rollout', {}, 100), kiel).value).toBe(true);
  });

  it.each<[string, Partial<FlagScope>, FlagContext]>([
    ['plans', { plans: ['starter'] }, acme],
    ['tenants', { tenants: ['hafenkontor'] }, acme],
    ['partners', { partners: ['baltic-bytes'] }, acme],
    ['partners (direct customer)', { partners: ['nordlicht-it'] }, kiel],
    ['environments', { environments: ['staging'] }, acme],
  ])(
    'requires the scope first: a %s mismatch is off even at 100 %%',
    (_axis, scope, ctx) => {
      expect(evaluateFlag(flag('rollout', scope, 100), ctx)).toEqual({
        key: 'rollout_flag',
        value: false,
        reason: 'rollout-scope-mismatch',
      });
    },
  );

  it('inside the scope, decides by bucket', () => {
    const f = flag(
      'rollout',
      { plans: ['business'] },
      50,
      'new_billing_engine',
    );
    // acme's bucket for new_billing_engine is 6806
    expect(evaluateFlag(f, acme)).toMatchObject({
      value: false,
      reason: 'rollout-out',
      bucket: 6806,
    });
    expect(evaluateFlag({ ...f, pct: 68.07 }, acme)).toMatchObject({
      value: true,
      reason: 'rollout-in',
      bucket: 6806,
    });
    expect(evaluateFlag({ ...f, pct: 68.06 }, acme).value).toBe(false);
  });

  it('is monotonic: for 10,000 synthetic tenants, raising pct never turns a tenant off', () => {
    const tenants = Array.from({ length: 10_000 }, (_, i) => `t-${i}`);
    // every two-decimal step would be 10,001 × 10,000 evaluations; the
    // property is per tenant (in iff bucket < threshold), so check every
    // tenant at a ladder of percentages including the edges
    const ladder = [
      0, 0.01, 0.02, 0.5, 1, 5, 10, 12.34, 25, 33.33, 50, 66.67, 75, 90, 99,
      99.98, 99.99, 100,
    ];
    let previous = new Set<string>();
    for (const p of ladder) {
      const f = flag('rollout', {}, p);
      const on = new Set(tenants.filter(t => evaluateFlag(f, ctxOf(t)).value));
      for (const t of previous) {
        expect(on.has(t)).toBe(true);
      }
      // and the share is about pct: within 1.5 percentage points
      expect(Math.abs(on.size / 100 - p)).toBeLessThan(1.5);
      previous = on;
    }
    expect(previous.size).toBe(10_000);
  });

  it('is monotonic at every two-decimal step, per tenant: a tenant is in from round(bucket) upwards', () => {
    // for each of the 10,000 tenants, the lowest pct that turns it on is
    // (bucket + 1) / 100, and every pct above it keeps it on
    for (let i = 0; i < 10_000; i++) {
      const t = `t-${i}`;
      const b = rolloutBucket(t, 'rollout_flag');
      const first = (b + 1) / 100;
      const below = b / 100;
      expect(evaluateFlag(flag('rollout', {}, below), ctxOf(t)).value).toBe(
        false,
      );
      expect(evaluateFlag(flag('rollout', {}, first), ctxOf(t)).value).toBe(
        true,
      );
      expect(evaluateFlag(flag('rollout', {}, 100), ctxOf(t)).value).toBe(true);
    }
  });
});

describe('scope helpers', () => {
  it('isScopeEmpty only when every list is empty', () => {
    expect(isScopeEmpty(EMPTY)).toBe(true);
    for (const axis of Object.keys(EMPTY) as Array<keyof FlagScope>) {
      expect(isScopeEmpty({ ...EMPTY, [axis]: ['x'] })).toBe(false);
    }
  });

  it('matchesScope: empty lists match everyone, a missing value matches no list', () => {
    expect(matchesScope(EMPTY, kiel)).toBe(true);
    expect(matchesScope({ ...EMPTY, partners: ['x'] }, kiel)).toBe(false);
    expect(
      matchesScope(
        { ...EMPTY, plans: ['business'] },
        { tenant: 'x', environment: 'production' },
      ),
    ).toBe(false);
  });

  it('rejects an unknown state', () => {
    expect(() =>
      evaluateFlag({ ...flag('on'), state: 'maybe' as Flag['state'] }, acme),
    ).toThrow('Unknown flag state: maybe');
  });
});

/**
 * docs/flags.md#evaluation written out word for word (arrays, `includes`,
 * a SHA-256 object per hash): what the compiled evaluation must equal.
 */
function reference(f: Flag, ctx: FlagContext) {
  const lists: Array<[string[], string | undefined]> = [
    [f.scope.plans, ctx.plan],
    [f.scope.tenants, ctx.tenant],
    [f.scope.partners, ctx.partner],
    [f.scope.environments, ctx.environment],
  ];
  const nonEmpty = lists.filter(([list]) => list.length > 0);
  const matches = nonEmpty.every(
    ([list, value]) => value !== undefined && list.includes(value),
  );
  const { key } = f;
  if (f.state === 'off') return { key, value: false, reason: 'off' };
  if (f.state === 'on') return { key, value: true, reason: 'on' };
  if (f.state === 'targeted') {
    if (!nonEmpty.length) {
      return { key, value: false, reason: 'targeted-no-scope' };
    }
    return matches
      ? { key, value: true, reason: 'targeted-match' }
      : { key, value: false, reason: 'targeted-no-match' };
  }
  if (!matches) return { key, value: false, reason: 'rollout-scope-mismatch' };
  const bucket =
    createHash('sha256')
      .update(`${ctx.tenant}:${key}`, 'utf8')
      .digest()
      .readUInt32BE(0) % 10_000;
  return bucket < Math.round(f.pct * 100)
    ? { key, value: true, reason: 'rollout-in', bucket }
    : { key, value: false, reason: 'rollout-out', bucket };
}

describe('compileFlag, compileFlags', () => {
  /** A small deterministic PRNG (mulberry32). */
  const prng = (seed: number) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };

  it('answers exactly as the rules, written out, for 400 random flags x 300 random tenants', () => {
    const rnd = prng(7);
    const pick = (values: string[]) =>
      values.filter(() => rnd() < 0.3).slice(0, 1 + Math.floor(rnd() * 3));
    const PLANS = ['starter', 'business', 'enterprise', 'Business'];
    const PARTNERS = ['nordlicht-it', 'alpenwerk-systems', 'baltic-bytes'];
    const TENANTS = Array.from({ length: 30 }, (_, i) => `t-${i}`).concat([
      'müller',
      'ACME',
      'acme',
    ]);
    const ENVS = ['production', 'staging', 'development'];
    const STATES: Flag['state'][] = ['off', 'on', 'targeted', 'rollout'];
    const PCTS = [0, 0.01, 0.29, 12.5, 33.33, 50, 68.06, 68.07, 99.99, 100];
    const flags = Array.from({ length: 400 }, (_, i) =>
      flag(
        STATES[i % 4],
        rnd() < 0.25
          ? {}
          : {
              plans: pick(PLANS),
              tenants: pick(TENANTS),
              partners: pick(PARTNERS),
              environments: pick(ENVS),
            },
        STATES[i % 4] === 'rollout' ? PCTS[i % PCTS.length] : 0,
        `flag_${i}`,
      ),
    );
    const contexts: FlagContext[] = Array.from({ length: 300 }, () => ({
      tenant: TENANTS[Math.floor(rnd() * TENANTS.length)],
      ...(rnd() < 0.9 && { plan: PLANS[Math.floor(rnd() * PLANS.length)] }),
      ...(rnd() < 0.7 && {
        partner: PARTNERS[Math.floor(rnd() * PARTNERS.length)],
      }),
      environment: ENVS[Math.floor(rnd() * ENVS.length)],
    }));
    const compiled = compileFlags(flags);
    const reasons = new Set<string>();
    const wrong: string[] = [];
    const same = (a: object, b: object) =>
      JSON.stringify(a) === JSON.stringify(b);
    for (const ctx of contexts) {
      const all = compiled.evaluateAll(ctx);
      flags.forEach((f, i) => {
        const expected = reference(f, ctx);
        reasons.add(expected.reason);
        const answers = [
          all[i],
          compiled.get(f.key)!.evaluate(ctx),
          evaluateFlag(f, ctx),
        ];
        if (!answers.every(a => same(a, expected))) {
          wrong.push(
            `${f.key} ${JSON.stringify(ctx)}: ${JSON.stringify(answers)}`,
          );
        }
      });
    }
    expect(wrong).toEqual([]);
    // every reason was reached
    expect(reasons.size).toBe(8);
  });

  it('keeps the flag as it was when compiled, and the order and keys it was given', () => {
    const f = flag('targeted', { plans: ['business'] });
    const compiled = compileFlag(f);
    f.scope.plans.push('enterprise');
    f.state = 'on';
    expect(compiled.evaluate(kiel).reason).toBe('targeted-no-match');
    const set = compileFlags([flag('on', {}, 0, 'b'), flag('off', {}, 0, 'a')]);
    expect(set.list.map(c => c.key)).toEqual(['b', 'a']);
    expect(set.evaluateAll(acme).map(e => e.key)).toEqual(['b', 'a']);
    expect(set.get('c')).toBeUndefined();
  });

  it('shares frozen answers that do not depend on the bucket; a rollout answer is new each time', () => {
    const targeted = compileFlag(flag('targeted', { plans: ['business'] }));
    expect(targeted.evaluate(acme)).toBe(targeted.evaluate(acme));
    expect(Object.isFrozen(targeted.evaluate(acme))).toBe(true);
    const rollout = compileFlag(flag('rollout', {}, 50));
    expect(rollout.evaluate(acme)).not.toBe(rollout.evaluate(acme));
    expect(rollout.evaluate(acme)).toEqual(rollout.evaluate(acme));
  });

  it('fails the evaluation of a flag with an unknown state only', () => {
    const set = compileFlags([
      flag('on', {}, 0, 'fine'),
      { ...flag('on', {}, 0, 'broken'), state: 'maybe' as Flag['state'] },
    ]);
    expect(set.get('fine')!.evaluate(acme).value).toBe(true);
    expect(() => set.get('broken')!.evaluate(acme)).toThrow(
      'Unknown flag state: maybe',
    );
  });
});
