import { checkedAgo, displayName, pointMeaning } from './healthText';

describe('healthText', () => {
  it('says how long ago a check was', () => {
    const now = Date.parse('2026-11-25T17:00:30Z');
    expect(checkedAgo('2026-11-25T17:00:00Z', now)).toBe('checked 30 s ago');
    expect(checkedAgo('2026-11-25T16:50:30Z', now)).toBe('checked 10 min ago');
    expect(checkedAgo('2026-11-23T15:00:30Z', now)).toBe('checked 2 d 2 h ago');
    expect(checkedAgo(undefined, now)).toBe('not checked yet');
    expect(checkedAgo('yesterday', now)).toBe('not checked yet');
  });

  it('names integrations and says what a chart point is', () => {
    expect(displayName('integration:default/stalwart')).toBe('stalwart');
    expect(displayName('integration:default/stalwart', 'Mail')).toBe('Mail');
    expect(pointMeaning(null)).toBe('each point: one probe');
    expect(pointMeaning(240_000)).toBe('each point: the worst of 4 min');
    expect(pointMeaning(7_200_000)).toBe('each point: the worst of 2 h');
  });
});
