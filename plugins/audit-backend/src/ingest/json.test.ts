import { jsonNestingDepth } from './json';

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['"{[{["', 0],
    ['{}', 1],
    ['[]', 1],
    ['{"a":[1,{"b":{}}]}', 4],
    ['[[],[[]],[]]', 3],
    ['{"s":"a \\" { ["}', 1],
    ['{"s":"\\\\", "t":[{}]}', 3],
  ])('%s nests %i deep', (text, depth) => {
    expect(jsonNestingDepth(text)).toBe(depth);
  });

  it('stops past the limit, without recursion, whatever the depth', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(jsonNestingDepth(deep, 32)).toBe(33);
    expect(jsonNestingDepth(deep)).toBe(1_000_000);
  });
});
