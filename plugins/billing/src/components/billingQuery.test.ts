import { readView, viewFilters, viewParams } from './billingQuery';

const q = (s: string) => new URLSearchParams(s);

describe('the Billing view in the URL', () => {
  it('reads defaults from an empty query, and ignores what it does not know', () => {
    const defaults = { condition: '', page: 0, pageSize: 20 };
    expect(readView(q(''))).toEqual(defaults);
    expect(readView(q('condition=broke&page=-2&pageSize=7'))).toEqual(defaults);
    expect(readView(q('page=1.5'))).toEqual(defaults);
  });

  it('reads every parameter; pages count from 1 in the URL', () => {
    expect(readView(q('condition=payment-failed&page=3&pageSize=50'))).toEqual({
      condition: 'payment-failed',
      page: 2,
      pageSize: 50,
    });
  });

  it('writes only what differs from the default, and keeps other parameters', () => {
    const view = readView(q(''));
    expect(
      viewParams(view, q('tab=x&page=4&condition=in-sync')).toString(),
    ).toBe('tab=x');
    expect(
      viewParams(
        { condition: 'not-billed', page: 1, pageSize: 100 },
        q(''),
      ).toString(),
    ).toBe('condition=not-billed&page=2&pageSize=100');
  });

  it('makes the API filters: the condition, the page as limit and offset', () => {
    expect(viewFilters(readView(q('')))).toEqual({ limit: 20, offset: 0 });
    expect(
      viewFilters({ condition: 'out-of-sync', page: 2, pageSize: 50 }),
    ).toEqual({ condition: 'out-of-sync', limit: 50, offset: 100 });
  });
});
