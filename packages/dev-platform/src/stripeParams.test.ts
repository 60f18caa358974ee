/*
 * Stripe form/query parameter decoding and validation (pure functions).
 */
import {
  arr,
  decodeParams,
  int,
  metadata,
  obj,
  str,
  StripeParamError,
  validateParams,
} from './stripeParams';

const decode = (query: string) =>
  decodeParams(new URLSearchParams(query).entries());

describe('decodeParams', () => {
  it.each([
    ['a=1', { a: '1' }],
    ['metadata[tenant]=acme', { metadata: { tenant: 'acme' } }],
    [
      'items[0][price]=p&items[0][quantity]=2',
      { items: { '0': { price: 'p', quantity: '2' } } },
    ],
    ['expand[]=a&expand[]=b', { expand: { '0': 'a', '1': 'b' } }],
    ['expand%5B0%5D=a', { expand: { '0': 'a' } }],
    ['pause_collection=', { pause_collection: '' }],
    ['a=1&a=2', { a: '2' }],
  ])('%s', (query, expected) => {
    expect(decode(query)).toEqual(expected);
  });
});

describe('validateParams', () => {
  const spec = {
    fields: {
      items: arr(obj({ price: str(), quantity: int({ min: 0 }) })),
      metadata,
      note: str({ emptyable: true }),
      name: str(),
    },
  };

  it('orders indexes numerically and types integers', () => {
    const query = Array.from(
      { length: 11 },
      (_, i) => `items[${i}][quantity]=${i}`,
    ).join('&');
    const out = validateParams(decode(query), spec);
    expect(out.items.map((i: any) => i.quantity)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('turns empty values of emptyable parameters and metadata keys into null', () => {
    expect(validateParams(decode('note=&metadata[k]='), spec)).toEqual({
      note: null,
      metadata: { k: null },
    });
  });

  it.each([
    ['items[0][colour]=red', 'parameter_unknown', 'items[0][colour]'],
    ['other=1', 'parameter_unknown', 'other'],
    ['items[0][quantity]=x', 'parameter_invalid_integer', 'items[0][quantity]'],
    [
      'items[0][quantity]=-1',
      'parameter_invalid_integer',
      'items[0][quantity]',
    ],
    ['name=', 'parameter_invalid_empty', 'name'],
  ])('%s → %s', (query, code, param) => {
    let error: StripeParamError | undefined;
    try {
      validateParams(decode(query), spec);
    } catch (err) {
      error = err as StripeParamError;
    }
    expect(error).toBeInstanceOf(StripeParamError);
    expect({ code: error?.code, param: error?.param }).toEqual({ code, param });
  });
});
