import { amountInput, parseAmount } from './amount';

describe('parseAmount', () => {
  it.each<[string, string, number]>([
    ['11.9', 'EUR', 1190],
    ['11.90', 'EUR', 1190],
    ['0.05', 'EUR', 5],
    ['0', 'EUR', 0],
    ['12', 'EUR', 1200],
    [' 7.5 ', 'CHF', 750],
    ['0011.90', 'EUR', 1190],
    ['1234', 'JPY', 1234],
    ['1.234', 'BHD', 1234],
    ['1.2', 'BHD', 1200],
    // floats would say 1005.9999999999999 (10.06 * 100 → 1006.0000000000001)
    ['10.06', 'EUR', 1006],
    ['0.29', 'EUR', 29],
    ['10000000.00', 'EUR', 1_000_000_000],
  ])('reads %p %s as %i minor units', (text, currency, minor) => {
    expect(parseAmount(text, currency)).toEqual({ ok: true, minor });
  });

  it.each<[string, string, string]>([
    ['11.999', 'EUR', 'EUR has 2 decimals at most'],
    ['12.5', 'JPY', 'JPY has no decimals'],
    ['1.2345', 'BHD', 'BHD has 3 decimals at most'],
    ['', 'EUR', 'an amount like 12.50'],
    ['abc', 'EUR', 'an amount like 12.50'],
    ['-1', 'EUR', 'an amount like 12.50'],
    ['1e3', 'EUR', 'an amount like 12.50'],
    ['1,234.00', 'EUR', 'an amount like 12.50'],
    ['11.', 'EUR', 'an amount like 12.50'],
    ['.5', 'EUR', 'an amount like 12.50'],
    ['x', 'JPY', 'a whole amount like 1200'],
    ['x', 'BHD', 'an amount like 12.500'],
    ['10000000.01', 'EUR', 'more than the catalog takes per seat'],
    ['99999999999999999999', 'JPY', 'more than the catalog takes per seat'],
  ])('refuses %p in %s: %s', (text, currency, error) => {
    expect(parseAmount(text, currency)).toEqual({ ok: false, error });
  });
});

describe('amountInput', () => {
  it.each<[number, string, string]>([
    [1190, 'EUR', '11.90'],
    [5, 'EUR', '0.05'],
    [0, 'EUR', '0.00'],
    [1234, 'JPY', '1234'],
    [1234, 'BHD', '1.234'],
    [7, 'BHD', '0.007'],
  ])(
    'writes %i %s as %p, which reads back the same',
    (minor, currency, text) => {
      expect(amountInput(minor, currency)).toBe(text);
      expect(parseAmount(text, currency)).toEqual({ ok: true, minor });
    },
  );
});
