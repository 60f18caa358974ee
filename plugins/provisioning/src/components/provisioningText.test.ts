import {
  ago,
  compare,
  dueIn,
  isConverging,
  lastError,
  leaves,
  nextRetry,
  teardownIn,
  truncate,
} from './provisioningText';
import { aCondition, aTenant } from '../testing/fakes';

describe('provisioningText', () => {
  const now = Date.parse('2026-11-25T17:00:30Z');

  it('says how long ago something was', () => {
    expect(ago('2026-11-25T17:00:00Z', now)).toBe('30 s ago');
    expect(ago('2026-11-25T16:50:30Z', now)).toBe('10 min ago');
    expect(ago('2026-11-23T15:00:30Z', now)).toBe('2 d 2 h ago');
    // a clock a little ahead of the server's is not "in the future"
    expect(ago('2026-11-25T17:00:31Z', now)).toBe('0 s ago');
    expect(ago(undefined, now)).toBe('—');
    expect(ago('yesterday', now)).toBe('—');
  });

  it('counts down to the next retry', () => {
    expect(nextRetry('2026-11-25T17:02:40Z', now)).toBe(
      'next retry in 2 min 10 s',
    );
    expect(nextRetry('2026-11-25T17:00:31Z', now)).toBe('next retry in 1 s');
    expect(nextRetry('2026-11-25T17:00:30Z', now)).toBe('retrying now');
    expect(nextRetry('2026-11-25T16:00:00Z', now)).toBe('retrying now');
    expect(nextRetry(undefined, now)).toBe('');
  });

  it('counts down to a scheduled check', () => {
    expect(dueIn('2026-11-25T17:45:30Z', now)).toBe('in 45 min');
    expect(dueIn('2026-11-25T17:00:30Z', now)).toBe('due now');
    expect(dueIn('2026-11-25T16:00:00Z', now)).toBe('due now');
    expect(dueIn(undefined, now)).toBe('—');
  });

  it('counts down to a teardown in days and hours', () => {
    expect(teardownIn('2026-12-01T21:00:30Z', now)).toBe(
      'torn down in 6 d 4 h',
    );
    expect(teardownIn('2026-11-26T20:00:30Z', now)).toBe('torn down in 27 h');
    expect(teardownIn('2026-11-25T17:00:30Z', now)).toBe('torn down now');
    expect(teardownIn(undefined, now)).toBe('');
  });

  it('cuts long texts, marking the cut', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('exactly 10', 10)).toBe('exactly 10');
    expect(truncate('a bit longer than ten', 10)).toBe('a bit lon…');
    // no blank before the mark
    expect(truncate('abcd efghij', 6)).toBe('abcd…');
  });

  it('knows which steps still move', () => {
    expect(
      (['pending', 'ok', 'error', 'skipped', 'paused'] as const).filter(
        status => isConverging({ status }),
      ),
    ).toEqual(['pending', 'error']);
  });

  it('finds the step that failed last', () => {
    const tenant = aTenant({
      stepsBy: {
        authentik: {
          status: 'error',
          message: 'older',
          lastAttemptAt: '2026-11-25T16:00:00Z',
        },
        stalwart: {
          status: 'error',
          message: 'newer',
          lastAttemptAt: '2026-11-25T16:30:00Z',
        },
        ocis: { status: 'ok', lastAttemptAt: '2026-11-25T17:00:00Z' },
      },
    });
    expect(lastError(tenant)?.step).toBe('stalwart');
    expect(
      lastError({
        steps: [
          aCondition('ocis', {
            status: 'error',
            lastAttemptAt: undefined,
            lastTransitionTime: '2026-11-25T16:00:00Z',
          }),
        ],
      })?.step,
    ).toBe('ocis');
    expect(lastError(aTenant())).toBeUndefined();
  });

  it('lists the leaves of an object by dotted path', () => {
    expect([
      ...leaves({
        name: 'acme',
        quota: { mailGb: 10, files: { gb: 50 } },
        domains: ['a.example', 'b.example'],
        labels: {},
        note: null,
      }),
    ]).toEqual([
      ['name', 'acme'],
      ['quota.mailGb', 10],
      ['quota.files.gb', 50],
      ['domains', ['a.example', 'b.example']],
      ['labels', {}],
      ['note', null],
    ]);
    expect([...leaves(undefined)]).toEqual([]);
  });

  it('puts desired and observed side by side, marking the differences', () => {
    const rows = compare(
      { name: 'acme', quota: { mailGb: 10, filesGb: 50 }, domains: ['a'] },
      { name: 'acme', quota: { mailGb: 5, filesGb: 50 }, extra: true },
      ['quota.mailGb', 'domains', 'extra', 'aliases'],
    );
    expect(rows).toEqual([
      { field: 'name', desired: 'acme', observed: 'acme', differs: false },
      { field: 'quota.mailGb', desired: 10, observed: 5, differs: true },
      { field: 'quota.filesGb', desired: 50, observed: 50, differs: false },
      { field: 'domains', desired: ['a'], observed: undefined, differs: true },
      { field: 'extra', desired: undefined, observed: true, differs: true },
      // listed by the server, on neither side
      {
        field: 'aliases',
        desired: undefined,
        observed: undefined,
        differs: true,
      },
    ]);
    // a difference named by its parent marks every leaf below it
    expect(
      compare({ quota: { a: 1, b: 2 } }, { quota: { a: 1, b: 3 } }, [
        'quota',
      ]).map(r => r.differs),
    ).toEqual([true, true]);
    // nothing observed yet: every desired field, none marked
    expect(compare({ name: 'acme' }, undefined, [])).toEqual([
      { field: 'name', desired: 'acme', observed: undefined, differs: false },
    ]);
  });
});
