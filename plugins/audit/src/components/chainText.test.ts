import { shortHash } from './chainText';

describe('shortHash', () => {
  it('keeps the first 12 hex digits of a long hash', () => {
    expect(shortHash('ab'.repeat(32))).toBe('abababababab…');
    expect(shortHash('abc')).toBe('abc');
  });
});
