import { ONE_TIME_PASSWORD_LENGTH, oneTimePassword } from './oneTimePassword';

describe('oneTimePassword', () => {
  const samples = Array.from({ length: 2000 }, () => oneTimePassword());

  it('is 16 characters with an upper-case letter, a lower-case letter, a digit and a symbol', () => {
    for (const p of samples) {
      expect(p).toHaveLength(ONE_TIME_PASSWORD_LENGTH);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[^A-Za-z0-9]/);
    }
  });

  it('has no look-alike characters (I, l, 1, O, o, 0), and no # (a JMAP reference) or : (Basic auth)', () => {
    expect(samples.join('')).not.toMatch(/[Il1Oo0#:]/);
  });

  it('differs every time and uses the whole alphabet in every position', () => {
    expect(new Set(samples).size).toBe(samples.length);
    // the required classes are shuffled: no position is always a symbol
    const symbolFirst = samples.filter(p => /^[^A-Za-z0-9]/.test(p)).length;
    expect(symbolFirst).toBeGreaterThan(0);
    expect(symbolFirst).toBeLessThan(samples.length / 2);
  });
});
