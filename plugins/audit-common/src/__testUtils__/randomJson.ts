/* Random JSON data for the tests of the canonical form (chain, canonicalText). */

/** A reproducible PRNG (mulberry32). */
export function random(seed: number) {
  let a = seed;
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

export const KEYS = [
  'a',
  'b',
  'A',
  'é',
  'e',
  '\u20ac',
  '\ud83d\ude00',
  '\ud800',
  'z\u0000',
  '10',
  '9',
  '0',
  '01',
  '',
  ' ',
  'constructor',
  'toJSON',
  'hash',
  'seq',
  'ü',
  'aa',
  'a\u0301',
  '\uffff',
  '\ue000',
  'k"ey',
  'b\\s',
  '\u0001',
  '\u2028',
];
export const STRINGS = [
  '',
  'x',
  'ü∑ "quoted"',
  'x\ud800y',
  '\u001f\u007f\t\n',
  '\\',
  '</script>',
  '\u2028\u2029',
  '😀',
  '0',
];
export const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1 + 0.2,
  1e21,
  1e-7,
  123456789012345680000,
  5e-324,
  Number.MAX_SAFE_INTEGER,
  -1.5e300,
  2 ** 53 + 2,
];

export function randomValue(r: (n: number) => number, depth: number): unknown {
  switch (r(depth > 3 ? 5 : 8)) {
    case 0:
      return STRINGS[r(STRINGS.length)];
    case 1:
      return NUMBERS[r(NUMBERS.length)];
    case 2:
      return r(2) === 0;
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = r(6); i > 0; i--) {
        o[KEYS[r(KEYS.length)]] = randomValue(r, depth + 1);
      }
      return o;
    }
    default:
      return Array.from({ length: r(5) }, () => randomValue(r, depth + 1));
  }
}
