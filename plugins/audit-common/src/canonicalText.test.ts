import { canonicalJson } from './chain';
import { isCanonicalJsonText } from './canonicalText';
import { NUMBERS, random, randomValue } from './__testUtils__/randomJson';

/** The definition: canonicalJson of what the text holds is the text, and holds no null. */
function isCanonical(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (value === null) return false;
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

/** JSON.stringify with members in key order (as the audit store writes metadata). */
function keyOrdered(value: unknown): string | undefined {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

describe('isCanonicalJsonText', () => {
  it.each([
    ['{}', true],
    ['[]', true],
    ['{"a":1,"b":[1,null,{"c":"x"}]}', true],
    ['"text"', true],
    ['0', true],
    ['1e+21', true],
    ['true', true],
    ['{"10":1,"9":2}', true],
    ['{"a":"ü∑ €"}', true],
    ['null', false], // left out of the chain text, not written
    ['{"a":null}', false], // null members are left out
    ['{"b":1,"a":2}', false], // out of order
    ['{"a":1,"a":2}', false], // twice
    ['{"9":2,"10":1}', false], // as JavaScript orders an object's keys
    ['{ "a":1}', false],
    ['{"a":1} ', false],
    ['1e21', false],
    ['-0', false],
    ['1.0', false],
    ['1E+21', false],
    ['{"a":"\\u00fc"}', false], // an escape canonicalJson would not write
    ['{"a":"\\"q\\" \\\\ \\n"}', true], // escapes JSON.stringify writes
    ['{"a":"\\u0001"}', false], // one it writes too, but not taken here: parsed
    ['{"a":"\\/"}', false],
    ['{"a\\"":1}', false], // names are compared as they stand: parsed
    ['{"a":"😀"}', false], // surrogates: parsed
    ['{"__proto__":1}', false],
    ['{"a":1', false],
    ['', false],
    ['[1,]', false],
    ['{"a":1e999}', false],
    [`${'['.repeat(70)}${']'.repeat(70)}`, false],
  ])('%s: %p', (text, expected) => {
    expect(isCanonicalJsonText(text)).toBe(expected);
    // never canonical where the definition says it is not
    expect(expected && !isCanonical(text)).toBe(false);
  });

  it('says canonical only where canonicalJson(JSON.parse(text)) is the text, for random JSON texts', () => {
    const r = random(2026);
    const wrong: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = randomValue(r, 0);
      const texts = [JSON.stringify(value), keyOrdered(value)];
      try {
        texts.push(canonicalJson(value));
      } catch {
        // not canonicalizable: nothing to compare
      }
      for (const text of texts) {
        if (typeof text !== 'string') continue;
        const fast = isCanonicalJsonText(text);
        if (fast) accepted++;
        if (fast && !isCanonical(text)) wrong.push(text);
      }
    }
    expect(wrong).toEqual([]);
    expect(accepted).toBeGreaterThan(5_000);
  });

  it('takes the canonical JSON of plain data as it is', () => {
    const r = random(77);
    const plainKeys = ['a', 'b', 'c', 'seats', 'from', 'to', 'note', 'é', 'ü'];
    const plainValue = (depth: number): unknown => {
      switch (r(depth > 3 ? 4 : 6)) {
        case 0:
          return ['', 'x', 'ü∑ €', '</script>', '\u2028'][r(5)];
        case 1:
          return NUMBERS[r(NUMBERS.length)];
        case 2:
          return r(2) === 0;
        case 3:
          return depth ? null : 'top';
        case 4: {
          const o: Record<string, unknown> = {};
          for (let i = r(5); i > 0; i--) {
            o[plainKeys[r(plainKeys.length)]] = plainValue(depth + 1);
          }
          return o;
        }
        default:
          return Array.from({ length: r(4) }, () => plainValue(depth + 1));
      }
    };
    const refused: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const text = canonicalJson(plainValue(0));
      if (!isCanonicalJsonText(text)) refused.push(text);
    }
    expect(refused).toEqual([]);
  });
});
