import {
  csvFileName,
  filtersToQuery,
  formatBytes,
  formatCount,
  isoToLocalInput,
  localInputToIso,
  metadataChanges,
  normalizeRef,
} from './format';

describe('metadataChanges', () => {
  it('finds { from, to } fields at the top and under changes', () => {
    expect(
      metadataChanges({
        status: { from: 'active', to: 'suspended' },
        changes: { plan: { from: 'basic', to: 'business' } },
        added: { to: 3 },
        note: 'x',
        nested: { from: 1, to: 2, by: 'someone' },
      }),
    ).toEqual([
      { field: 'status', from: 'active', to: 'suspended' },
      { field: 'plan', from: 'basic', to: 'business' },
      { field: 'added', from: undefined, to: 3 },
    ]);
    expect(metadataChanges(undefined)).toEqual([]);
  });
});

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

describe('formatBytes and formatCount', () => {
  it('reads like people write it', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1_572_864)).toBe('1.5 MiB');
    expect(formatBytes(123 * 1024 * 1024)).toBe('123 MiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
    expect(formatCount(12345)).toBe('12,345');
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

it('names the CSV file by day', () => {
  expect(csvFileName(new Date(2026, 10, 5, 23, 59))).toBe('audit-20261105.csv');
});
