import { ConfigReader } from '@backstage/config';
import { readFlag } from './stripeClient';

describe('readFlag', () => {
  it.each([
    [undefined, true, true],
    [undefined, false, false],
    ['', true, true],
    [true, false, true],
    ['true', false, true],
    [false, true, false],
    ['false', true, false],
  ])('%p with fallback %p reads %p', (value, fallback, expected) => {
    const config = new ConfigReader(
      value === undefined ? {} : { billing: { payouts: { autogen: value } } },
    );
    expect(readFlag(config, 'billing.payouts.autogen', fallback)).toBe(
      expected,
    );
  });

  it.each(['yes', 'FALSE', 0, 1])('refuses %p, naming the key', value => {
    const config = new ConfigReader({
      billing: { payouts: { autogen: value } },
    });
    expect(() => readFlag(config, 'billing.payouts.autogen', true)).toThrow(
      `billing.payouts.autogen must be true or false, got ${JSON.stringify(
        value,
      )}`,
    );
  });
});
