import { randomInt } from 'node:crypto';

/** Letters and digits without the look-alikes I, l, 1, O, o, 0. */
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const DIGIT = '23456789';
/**
 * Symbols that read unambiguously. No `#`: JMAP (Stalwart) reads a string
 * starting with `#` as a creation-id reference; no `:` (Basic auth), no
 * quotes or spaces.
 */
const SYMBOL = '!%+-=?@^_';
const ALL = UPPER + LOWER + DIGIT + SYMBOL;

/** The length of a one-time password. */
export const ONE_TIME_PASSWORD_LENGTH = 16;

/**
 * A one-time password: 16 characters with at least one upper-case letter,
 * one lower-case letter, one digit and one symbol, no look-alike
 * characters, every choice (and the shuffle) from `crypto.randomInt`.
 * It is returned once to the caller and never stored, logged or audited.
 */
export function oneTimePassword(): string {
  const chars = [UPPER, LOWER, DIGIT, SYMBOL].map(
    set => set[randomInt(set.length)],
  );
  while (chars.length < ONE_TIME_PASSWORD_LENGTH) {
    chars.push(ALL[randomInt(ALL.length)]);
  }
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
