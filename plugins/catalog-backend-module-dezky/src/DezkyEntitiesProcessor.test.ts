import { Entity } from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { DezkyEntitiesProcessor } from './DezkyEntitiesProcessor';

const location = { type: 'file', target: '/catalog/tenants/acme.yaml' };

const tenant = (spec: Record<string, unknown> = {}): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme' },
  spec: {
    owner: 'group:default/partner-nord',
    partner: 'nord',
    plan: 'business',
    seats: 25,
    domains: ['acme.example'],
    integrations: ['authentik', 'stalwart'],
    ...spec,
  },
});

const known = new Set([
  'group:default/partner-nord',
  'partner:default/nord',
  'integration:default/authentik',
  'integration:default/stalwart',
]);

function processor(existing = known) {
  const asked: string[][] = [];
  const p = new DezkyEntitiesProcessor({
    existing: async refs => {
      asked.push(refs);
      return new Set(refs.filter(r => existing.has(r)));
    },
  });
  return { p, asked };
}

async function post(entity: Entity, existing = known) {
  const { p } = processor(existing);
  const emitted: CatalogProcessorResult[] = [];
  await p.postProcessEntity(entity, location, r => emitted.push(r));
  return emitted;
}

describe('DezkyEntitiesProcessor', () => {
  it('accepts valid Dezky kinds and leaves other apiVersions to other processors', async () => {
    const { p } = processor();
    await expect(p.validateEntityKind(tenant())).resolves.toBe(true);
    await expect(
      p.validateEntityKind({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'x' },
      }),
    ).resolves.toBe(false);
  });

  it('rejects an invalid entity with every problem, naming entity and field', async () => {
    const { p } = processor();
    await expect(
      p.validateEntityKind(tenant({ seats: -1, plan: undefined })),
    ).rejects.toThrow(
      'Tenant/acme: spec.plan: is required; Tenant/acme: spec.seats: must be >= 0 (got -1)',
    );
  });

  it('rejects an unknown kind under the Dezky apiVersion', async () => {
    const { p } = processor();
    await expect(
      p.validateEntityKind({
        apiVersion: 'dezky.io/v1alpha1',
        kind: 'Reseller',
        metadata: { name: 'x' },
      }),
    ).rejects.toThrow(
      'Reseller/x: kind: must be one of Partner, Tenant, Integration',
    );
  });

  it('emits owner and partner relations both ways, integration relations one way', async () => {
    const emitted = await post(tenant());
    const relations = emitted
      .filter(r => r.type === 'relation')
      .map(
        r =>
          r.type === 'relation' &&
          `${r.relation.source.kind}:${r.relation.source.name} ${r.relation.type} ${r.relation.target.kind}:${r.relation.target.name}`,
      );
    expect(relations.sort()).toEqual(
      [
        'tenant:acme ownedBy group:partner-nord',
        'group:partner-nord ownerOf tenant:acme',
        'tenant:acme resoldBy partner:nord',
        'partner:nord resells tenant:acme',
        'tenant:acme dependsOn integration:authentik',
        'tenant:acme dependsOn integration:stalwart',
      ].sort(),
    );
    expect(emitted.filter(r => r.type === 'error')).toEqual([]);
  });

  it('reports references to missing entities as an error and emits no relations', async () => {
    const emitted = await post(
      tenant({ partner: 'ghost', integrations: ['authentik', 'nope'] }),
    );
    expect(emitted.filter(r => r.type === 'relation')).toEqual([]);
    const errors = emitted.flatMap(r =>
      r.type === 'error' ? [r.error.message] : [],
    );
    expect(errors).toEqual([
      'Tenant/acme: spec.partner: partner "ghost" does not exist (looked for partner:default/ghost); ' +
        'Tenant/acme: spec.integrations[1]: integration "nope" does not exist (looked for integration:default/nope)',
    ]);
  });

  it('reports a partner field that names another kind', async () => {
    const emitted = await post(tenant({ partner: 'tenant:default/other' }));
    const errors = emitted.flatMap(r =>
      r.type === 'error' ? [r.error.message] : [],
    );
    expect(errors[0]).toContain('spec.partner: must name a partner');
  });

  it('does nothing for entities that are not Dezky kinds', async () => {
    const { p, asked } = processor();
    const emitted: CatalogProcessorResult[] = [];
    const user = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'u' },
      spec: {},
    };
    await expect(
      p.postProcessEntity(user, location, r => emitted.push(r)),
    ).resolves.toBe(user);
    expect(emitted).toEqual([]);
    expect(asked).toEqual([]);
  });
});
