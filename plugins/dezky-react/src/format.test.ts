import {
  actorLabel,
  countOf,
  formatBytes,
  formatCount,
  formatDuration,
  formatMs,
  formatRatio,
  formatTime,
  formatValue,
} from './format';

describe('formats', () => {
  it('writes sizes and counts as people write them', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1_572_864)).toBe('1.5 MiB');
    expect(formatBytes(123 * 1024 * 1024)).toBe('123 MiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
    expect(formatCount(12345)).toBe('12,345');
    expect(countOf(1, 'tenant')).toBe('1 tenant');
    expect(countOf(2, 'tenant')).toBe('2 tenants');
    expect(countOf(1200, 'batch', 'batches')).toBe('1,200 batches');
  });

  it('writes ratios, latencies and durations', () => {
    expect(formatRatio(0.99871)).toBe('99.87 %');
    expect(formatRatio(1)).toBe('100.00 %');
    expect(formatRatio(null)).toBe('—');
    expect(formatMs(41.6)).toBe('42 ms');
    expect(formatMs(undefined)).toBe('—');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(250_000)).toBe('4 min 10 s');
    expect(formatDuration(240_000)).toBe('4 min');
    expect(formatDuration(3_600_000 + 5 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('writes local times with or without seconds, and leaves non-times alone', () => {
    const iso = new Date(2026, 10, 25, 18, 0, 5).toISOString();
    expect(formatTime(iso)).toBe('2026-11-25 18:00:05');
    expect(formatTime(iso, { seconds: false })).toBe('2026-11-25 18:00');
    expect(formatTime(undefined)).toBe('—');
    expect(formatTime('yesterday')).toBe('yesterday');
  });

  it('writes values and actors', () => {
    expect(formatValue('text')).toBe('text');
    expect(formatValue(['a', 1])).toBe('["a",1]');
    expect(formatValue(undefined)).toBe('—');
    expect(formatValue(null)).toBe('null');
    expect(
      actorLabel({ type: 'user', email: 'a@x', ref: 'user:default/a' }),
    ).toBe('a@x');
    expect(actorLabel({ type: 'user', ref: 'user:default/a' })).toBe(
      'user:default/a',
    );
    expect(actorLabel({ type: 'system' })).toBe('system');
  });
});
