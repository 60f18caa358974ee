import {
  checkedAgo,
  displayName,
  formatDuration,
  formatMs,
  formatUptime,
  pointMeaning,
} from './format';

describe('format', () => {
  it('formats uptime, latency and durations', () => {
    expect(formatUptime(0.99871)).toBe('99.87 %');
    expect(formatUptime(1)).toBe('100.00 %');
    expect(formatUptime(null)).toBe('—');
    expect(formatMs(41.6)).toBe('42 ms');
    expect(formatMs(null)).toBe('—');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(250_000)).toBe('4 min 10 s');
    expect(formatDuration(3_600_000 + 5 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d');
  });

  it('says how long ago a check was', () => {
    const now = Date.parse('2026-11-25T17:00:30Z');
    expect(checkedAgo('2026-11-25T17:00:00Z', now)).toBe('checked 30 s ago');
    expect(checkedAgo('2026-11-25T16:50:30Z', now)).toBe('checked 10 min ago');
    expect(checkedAgo(undefined, now)).toBe('not checked yet');
  });

  it('names integrations and says what a chart point is', () => {
    expect(displayName('integration:default/stalwart')).toBe('stalwart');
    expect(displayName('integration:default/stalwart', 'Mail')).toBe('Mail');
    expect(pointMeaning(null)).toBe('each point: one probe');
    expect(pointMeaning(240_000)).toBe('each point: the worst of 4 min');
    expect(pointMeaning(7_200_000)).toBe('each point: the worst of 2 h');
  });
});
