import { aFlag } from '../testing/fakes';
import {
  flagPatch,
  draftOf,
  formatChangeValue,
  KEY_PATTERN,
  reasonText,
  roundPct,
  scopeSummary,
  hiddenScopeText,
} from './flagText';

const scope = (partial: Record<string, string[]> = {}) => ({
  plans: [],
  tenants: [],
  partners: [],
  environments: [],
  ...partial,
});

describe('scopeSummary', () => {
  it('names plans and environments and counts tenants and partners', () => {
    expect(
      scopeSummary(
        scope({ plans: ['business'], tenants: ['acme', 'globex'] }),
        'targeted',
      ),
    ).toBe('plans: business · tenants: 2');
    expect(
      scopeSummary(
        scope({ partners: ['n'], environments: ['staging'] }),
        'rollout',
      ),
    ).toBe('partners: 1 · environments: staging');
  });

  it('counts the tenants and partners a staff view leaves out', () => {
    expect(
      scopeSummary(scope({ tenants: ['acme'] }), 'targeted', {
        tenants: 2,
        partners: 1,
      }),
    ).toBe('tenants: 3 · partners: 1');
    // a scope of other partners' tenants only is not "nobody"
    expect(scopeSummary(scope(), 'targeted', { tenants: 3, partners: 0 })).toBe(
      'tenants: 3',
    );
    expect(hiddenScopeText({ tenants: 2, partners: 1 })).toBe(
      '+2 other tenants and +1 other partner',
    );
    expect(hiddenScopeText({ tenants: 1, partners: 0 })).toBe(
      '+1 other tenant',
    );
    expect(hiddenScopeText(undefined)).toBe('');
  });

  it('says what an empty scope means, and ignores it where the state does', () => {
    expect(scopeSummary(scope(), 'targeted')).toBe('nobody (no scope)');
    expect(scopeSummary(scope(), 'rollout')).toBe('all tenants');
    expect(scopeSummary(scope({ plans: ['x'] }), 'on')).toBe('—');
  });
});

describe('roundPct', () => {
  it('clamps to 0–100 with two decimals', () => {
    expect(roundPct(12.345)).toBe(12.35);
    expect(roundPct(-1)).toBe(0);
    expect(roundPct(250)).toBe(100);
    expect(roundPct(Number.NaN)).toBe(0);
  });
});

describe('flagPatch', () => {
  it('is empty for an untouched draft', () => {
    const flag = aFlag({
      state: 'targeted',
      scope: scope({ plans: ['a', 'b'] }),
    });
    expect(flagPatch(flag, draftOf(flag))).toEqual({});
    // the order of a list does not count as a change
    expect(
      flagPatch(flag, {
        ...draftOf(flag),
        scope: scope({ plans: ['b', 'a'] }),
      }),
    ).toEqual({});
  });

  it('holds only the changed fields', () => {
    const flag = aFlag();
    expect(
      flagPatch(flag, { ...draftOf(flag), state: 'rollout', pct: 25 }),
    ).toEqual({ state: 'rollout', pct: 25 });
    expect(flagPatch(flag, { ...draftOf(flag), description: 'x' })).toEqual({
      description: 'x',
    });
  });

  it('leaves out a percentage or scope the new state ignores', () => {
    const flag = aFlag({ state: 'rollout', pct: 10 });
    expect(
      flagPatch(flag, {
        ...draftOf(flag),
        state: 'on',
        pct: 40,
        scope: scope({ plans: ['x'] }),
      }),
    ).toEqual({ state: 'on' });
  });
});

describe('reasonText', () => {
  it.each([
    [{ reason: 'off' }, undefined, 'off'],
    [{ reason: 'on' }, undefined, 'on for every tenant'],
    [
      { reason: 'targeted-no-scope' },
      undefined,
      'targeted: no scope set, so nobody',
    ],
    [{ reason: 'targeted-match' }, undefined, 'targeted: in scope'],
    [{ reason: 'targeted-no-match' }, undefined, 'targeted: not in scope'],
    [{ reason: 'rollout-scope-mismatch' }, 25, 'rollout: not in scope'],
    [
      { reason: 'rollout-in', bucket: 1234 },
      25,
      'rollout: bucket 1234 < 2500 → in',
    ],
    [
      { reason: 'rollout-out', bucket: 7000 },
      12.34,
      'rollout: bucket 7000 ≥ 1234 → out',
    ],
    [{ reason: 'rollout-in', bucket: 5 }, undefined, 'rollout: bucket 5 → in'],
  ] as const)('%j at %s %% reads "%s"', (e, pct, text) => {
    expect(reasonText({ key: 'k', value: false, ...e }, pct)).toBe(text);
  });
});

describe('formatChangeValue', () => {
  it('formats the values', () => {
    expect(formatChangeValue('pct', 25)).toBe('25 %');
    expect(formatChangeValue('state', undefined)).toBe('—');
    expect(formatChangeValue('scope', scope({ plans: ['business'] }))).toBe(
      'plans: business',
    );
    expect(formatChangeValue('scope', scope())).toBe('(empty)');
    expect(formatChangeValue('tags', [])).toBe('(none)');
  });
});

describe('KEY_PATTERN', () => {
  it('takes slugs only', () => {
    expect(KEY_PATTERN.test('gdpr_export_v2')).toBe(true);
    expect(KEY_PATTERN.test('a-b')).toBe(true);
    expect(KEY_PATTERN.test('Upper')).toBe(false);
    expect(KEY_PATTERN.test('a'.repeat(65))).toBe(false);
    expect(KEY_PATTERN.test('')).toBe(false);
  });
});
