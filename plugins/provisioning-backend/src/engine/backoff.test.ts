import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, backoffMs } from './backoff';
import { seededRandom } from '@internal/dezky-test-utils';

describe('backoffMs', () => {
  it.each([
    // attempts, random, expected
    [1, 0, 1_000],
    [1, 0.5, 1_000],
    [1, 0.999, 1_200],
    [2, 0, 1_600],
    [2, 0.5, 2_000],
    [3, 0.5, 4_000],
    [10, 0.5, 512_000],
    [11, 0.5, BACKOFF_MAX_MS],
    [50, 0, BACKOFF_MAX_MS],
  ])(
    'after %p failures with jitter %p waits %p ms',
    (attempts, r, expected) => {
      expect(backoffMs(attempts, () => r)).toBe(expected);
    },
  );

  it('stays within 1 s … 15 min and grows with every failure until the cap, whatever the jitter', () => {
    const draw = seededRandom(7);
    const random = () => draw(1_000_000) / 1_000_000;
    for (let run = 0; run < 2000; run++) {
      let previous = 0;
      for (let attempts = 1; attempts <= 14; attempts++) {
        const wait = backoffMs(attempts, random);
        expect(wait).toBeGreaterThanOrEqual(BACKOFF_MIN_MS);
        expect(wait).toBeLessThanOrEqual(BACKOFF_MAX_MS);
        expect(wait).toBeGreaterThanOrEqual(Math.min(previous, BACKOFF_MAX_MS));
        previous = wait;
      }
    }
  });
});
