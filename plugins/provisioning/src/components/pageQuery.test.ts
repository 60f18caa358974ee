import { readView, viewFilters, viewParams } from './pageQuery';

const q = (s: string) => new URLSearchParams(s);

describe('the Provisioning view in the URL', () => {
  it('reads defaults from an empty query, and ignores what it does not know', () => {
    const defaults = {
      phase: '',
      step: '',
      status: '',
      lifecycle: '',
      page: 0,
      pageSize: 20,
    };
    expect(readView(q(''))).toEqual(defaults);
    expect(
      readView(
        q(
          'phase=broken&step=ldap&status=ERROR&lifecycle=paused&page=-2&pageSize=7',
        ),
      ),
    ).toEqual(defaults);
    expect(readView(q('page=1.5'))).toEqual(defaults);
  });

  it('reads every parameter; pages count from 1 in the URL', () => {
    expect(
      readView(
        q(
          'phase=degraded&step=ocis&status=error&lifecycle=suspended&page=3&pageSize=50',
        ),
      ),
    ).toEqual({
      phase: 'degraded',
      step: 'ocis',
      status: 'error',
      lifecycle: 'suspended',
      page: 2,
      pageSize: 50,
    });
  });

  it('writes only what differs from the default, and keeps other parameters', () => {
    const view = readView(q(''));
    expect(viewParams(view, q('tab=x&page=4&phase=active')).toString()).toBe(
      'tab=x',
    );
    expect(
      viewParams(
        {
          ...view,
          phase: 'pending',
          status: 'paused',
          lifecycle: 'terminating',
          page: 1,
          pageSize: 100,
        },
        q(''),
      ).toString(),
    ).toBe(
      'phase=pending&status=paused&lifecycle=terminating&page=2&pageSize=100',
    );
  });

  it('makes the API filters: the page as limit and offset, a step only with a status', () => {
    const view = readView(q(''));
    expect(viewFilters(view)).toEqual({ limit: 20, offset: 0 });
    expect(
      viewFilters({
        ...view,
        phase: 'degraded',
        step: 'stalwart',
        status: 'error',
        lifecycle: 'terminated',
        page: 2,
        pageSize: 50,
      }),
    ).toEqual({
      phase: 'degraded',
      lifecycle: 'terminated',
      step: 'stalwart',
      status: 'error',
      limit: 50,
      offset: 100,
    });
    expect(viewFilters({ ...view, step: 'stalwart' })).toEqual({
      limit: 20,
      offset: 0,
    });
  });
});
