import { metadataChanges } from './changes';

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
