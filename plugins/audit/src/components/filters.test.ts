import {
  filtersToQuery,
  isoToLocalInput,
  localInputToIso,
  normalizeRef,
} from './filters';

describe('normalizeRef', () => {
  it('completes a short name to a lower-case entity ref', () => {
    expect(normalizeRef('tenant', 'ACME')).toBe('tenant:default/acme');
    expect(normalizeRef('partner', 'default/nordlicht-it')).toBe(
      'partner:default/nordlicht-it',
    );
    expect(normalizeRef('tenant', 'Tenant:other/x')).toBe('tenant:other/x');
    expect(normalizeRef('tenant', undefined)).toBeUndefined();
  });
});

describe('filtersToQuery', () => {
  const now = Date.parse('2026-11-25T12:00:00.000Z');

  it('keeps only the set filters', () => {
    expect(
      filtersToQuery(
        { q: ' acme ', action: 'tenant.*', outcome: 'nonsense', source: '' },
        now,
      ),
    ).toEqual({ q: 'acme', action: 'tenant.*' });
  });

  it('turns a quick range into since, ignoring explicit times', () => {
    expect(
      filtersToQuery(
        { range: '24h', since: '2020-01-01T00:00:00.000Z', outcome: 'failure' },
        now,
      ),
    ).toEqual({ since: '2026-11-24T12:00:00.000Z', outcome: 'failure' });
  });

  it('passes explicit since/until as ISO times', () => {
    expect(
      filtersToQuery(
        {
          since: '2026-11-01T00:00:00.000Z',
          until: '2026-11-02T00:00:00.000Z',
          tenant: 'acme',
        },
        now,
      ),
    ).toEqual({
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-02T00:00:00.000Z',
      tenant: 'tenant:default/acme',
    });
  });

  it('passes the archive tier on and leaves hot to the server', () => {
    expect(filtersToQuery({ tier: 'archive', actor: 'anna' }, now)).toEqual({
      tier: 'archive',
      actor: 'anna',
    });
    expect(filtersToQuery({ tier: 'hot' }, now)).toEqual({});
    expect(filtersToQuery({ tier: 'cold' }, now)).toEqual({});
  });
});

describe('datetime-local conversions', () => {
  it('round-trips through local time', () => {
    const local = isoToLocalInput('2026-11-25T12:34:00.000Z');
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    expect(localInputToIso(local)).toBe('2026-11-25T12:34:00.000Z');
    expect(localInputToIso('')).toBe('');
    expect(isoToLocalInput('')).toBe('');
  });
});
