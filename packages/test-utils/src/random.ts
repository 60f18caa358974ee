/**
 * A reproducible pseudo-random source (mulberry32) for tests that draw
 * random cases, so that a failure can be replayed from its seed: each call
 * gives a whole number from 0 to n − 1.
 */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed;
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
