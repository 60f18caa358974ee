import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { promises as fs } from 'fs';
import path from 'path';
import {
  CatalogProblem,
  SourcedEntity,
  checkDezkyReferences,
  formatCatalogProblem,
  parseCatalogFile,
  validateCatalogEntities,
} from './crossCheck';

const repoRoot = path.resolve(__dirname, '../../..');
const catalogDir = path.join(repoRoot, 'catalog');

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push(...(await yamlFilesUnder(full)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out.sort();
}

/** Parses in-memory files and validates them as one set, as validate-catalog does. */
async function check(files: Record<string, string>): Promise<string[]> {
  const entities: SourcedEntity[] = [];
  const problems: CatalogProblem[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseCatalogFile(file, text);
    entities.push(...parsed.entities);
    problems.push(...parsed.problems);
  }
  problems.push(...(await validateCatalogEntities(entities)));
  return problems.map(formatCatalogProblem);
}

const groupRef = (ref: string) =>
  stringifyEntityRef(
    parseEntityRef(ref, { defaultKind: 'group', defaultNamespace: 'default' }),
  );

describe('the seeded catalog/ folder', () => {
  let files: string[];
  let sourced: SourcedEntity[];
  let parseProblems: CatalogProblem[];
  const ofKind = (kind: string, apiVersion: string) =>
    sourced
      .map(s => s.entity)
      .filter(e => e.kind === kind && e.apiVersion === apiVersion);
  const users = () => ofKind('User', 'backstage.io/v1alpha1');
  const groups = () => ofKind('Group', 'backstage.io/v1alpha1');
  const partners = () => ofKind('Partner', 'dezky.io/v1alpha1');
  const tenants = () => ofKind('Tenant', 'dezky.io/v1alpha1');
  const integrations = () => ofKind('Integration', 'dezky.io/v1alpha1');

  /** The names of the users that are members of a group (by memberOf or the group's spec.members). */
  const membersOf = (ref: string): string[] => {
    const full = groupRef(ref);
    const group = groups().find(g => groupRef(g.metadata.name) === full);
    const names = new Set<string>();
    for (const user of users()) {
      const memberOf = (user.spec?.memberOf ?? []) as string[];
      if (memberOf.some(m => groupRef(m) === full))
        names.add(user.metadata.name);
    }
    for (const member of (group?.spec?.members ?? []) as string[]) {
      names.add(
        parseEntityRef(member, {
          defaultKind: 'user',
          defaultNamespace: 'default',
        }).name,
      );
    }
    return [...names].sort();
  };

  beforeAll(async () => {
    files = await yamlFilesUnder(catalogDir);
    sourced = [];
    parseProblems = [];
    for (const file of files) {
      const parsed = parseCatalogFile(
        path.relative(repoRoot, file),
        await fs.readFile(file, 'utf8'),
      );
      sourced.push(...parsed.entities);
      parseProblems.push(...parsed.problems);
    }
  });

  it('parses and validates with zero problems', async () => {
    expect(files.length).toBeGreaterThan(0);
    expect(parseProblems.map(formatCatalogProblem)).toEqual([]);
    expect(
      (await validateCatalogEntities(sourced)).map(formatCatalogProblem),
    ).toEqual([]);
  });

  it('has the group dezky-platform-admins with exactly 2 users', () => {
    expect(groups().map(g => g.metadata.name)).toContain(
      'dezky-platform-admins',
    );
    expect(membersOf('dezky-platform-admins')).toHaveLength(2);
  });

  it('has one staff group per partner, its spec.owner, with exactly 2 users each', () => {
    const owners = partners().map(p => groupRef(p.spec!.owner as string));
    expect(new Set(owners).size).toBe(partners().length);
    expect(owners).not.toContain('group:default/dezky-platform-admins');
    const groupRefs = groups().map(g => groupRef(g.metadata.name));
    for (const partner of partners()) {
      const owner = groupRef(partner.spec!.owner as string);
      expect({
        partner: partner.metadata.name,
        owner,
        exists: groupRefs.includes(owner),
      }).toEqual({
        partner: partner.metadata.name,
        owner,
        exists: true,
      });
      expect({
        partner: partner.metadata.name,
        members: membersOf(owner).length,
      }).toEqual({
        partner: partner.metadata.name,
        members: 2,
      });
    }
  });

  it('gives every User a spec.profile.email', () => {
    expect(users().length).toBeGreaterThanOrEqual(2 + 2 * partners().length);
    for (const user of users()) {
      const email = (user.spec?.profile as { email?: unknown } | undefined)
        ?.email;
      expect({ user: user.metadata.name, email }).toEqual({
        user: user.metadata.name,
        email: expect.stringMatching(/^[^@\s]+@[^@\s]+\.[^@\s]+$/),
      });
    }
    const emails = users().map(u =>
      (u.spec!.profile as { email: string }).email.toLowerCase(),
    );
    expect(new Set(emails).size).toBe(emails.length); // sign-in matches on it
  });

  it('has exactly 3 partners, exactly one of them terminated', () => {
    expect(partners()).toHaveLength(3);
    expect(
      partners().filter(p => p.spec!.status === 'terminated'),
    ).toHaveLength(1);
  });

  it('has at least 12 tenants: some direct, most through partners, 3+ plans, one with two domains', () => {
    const all = tenants();
    expect(all.length).toBeGreaterThanOrEqual(12);
    const direct = all.filter(t => !t.spec!.partner);
    const resold = all.filter(t => t.spec!.partner);
    expect(direct.length).toBeGreaterThan(0);
    expect(resold.length).toBeGreaterThan(direct.length);
    expect(new Set(all.map(t => t.spec!.plan)).size).toBeGreaterThanOrEqual(3);
    expect(
      all.filter(t => (t.spec!.domains as string[]).length === 2).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it("owns each tenant by its partner's staff group, or by dezky-platform-admins when direct", () => {
    const partnerOwner = new Map(
      partners().map(p => [p.metadata.name, groupRef(p.spec!.owner as string)]),
    );
    for (const tenant of tenants()) {
      const partner = tenant.spec!.partner as string | undefined;
      expect({
        tenant: tenant.metadata.name,
        owner: groupRef(tenant.spec!.owner as string),
      }).toEqual({
        tenant: tenant.metadata.name,
        owner: partner
          ? partnerOwner.get(partner)
          : 'group:default/dezky-platform-admins',
      });
    }
  });

  it('has the production and planned integrations', () => {
    const lifecycles = Object.fromEntries(
      integrations().map(i => [i.metadata.name, i.spec!.lifecycle]),
    );
    const production = [
      'authentik',
      'stalwart',
      'ocis',
      'collabora',
      'postgres',
      'redis',
      'traefik',
      'stripe',
      'object-storage',
    ];
    const planned = ['jitsi', 'zulip', 'simpledns-plus', 'postmark'];
    expect(lifecycles).toEqual({
      ...Object.fromEntries(production.map(n => [n, 'production'])),
      ...Object.fromEntries(planned.map(n => [n, 'planned'])),
    });
  });
});

// A small valid catalog, one entity per file, that each case below breaks once.
const base: Record<string, string> = {
  'org.yaml': `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: dezky-platform-admins }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: partner-nordlicht-it }
spec: { type: partner-staff, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: jana }
spec:
  profile: { email: jana@nordlicht-it.example }
  memberOf: [partner-nordlicht-it]
`,
  'partners/nordlicht-it.yaml': `
apiVersion: dezky.io/v1alpha1
kind: Partner
metadata: { name: nordlicht-it }
spec:
  owner: group:default/partner-nordlicht-it
  domain: nordlicht-it.example
  status: active
  marginPct: 20
  contact: { name: Jana, email: jana@nordlicht-it.example }
  billing: { company: Nordlicht IT GmbH, country: DE, email: billing@nordlicht-it.example, currency: EUR }
`,
  'integrations/authentik.yaml': `
apiVersion: dezky.io/v1alpha1
kind: Integration
metadata: { name: authentik }
spec: { owner: dezky-platform-admins, type: identity, lifecycle: production }
`,
  'integrations/stalwart.yaml': `
apiVersion: dezky.io/v1alpha1
kind: Integration
metadata: { name: stalwart }
spec: { owner: group:dezky-platform-admins, type: mail, lifecycle: production }
`,
};

function tenantYaml(name: string, spec: Record<string, string>): string {
  const lines = Object.entries({
    owner: 'group:default/partner-nordlicht-it',
    partner: 'nordlicht-it',
    plan: 'business',
    seats: '10',
    domains: `[${name}.example]`,
    integrations: '[authentik, stalwart]',
    ...spec,
  })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `  ${k}: ${v}`);
  return `apiVersion: dezky.io/v1alpha1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n${lines.join(
    '\n',
  )}\n`;
}

describe('validateCatalogEntities across files', () => {
  it('accepts the small base catalog with a tenant', async () => {
    expect(
      await check({ ...base, 'tenants/acme.yaml': tenantYaml('acme', {}) }),
    ).toEqual([]);
  });

  it('accepts refs written in full, with another case, or owners that are users', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {
          owner: 'user:default/jana',
          partner: 'Partner:default/nordlicht-it',
          integrations: '[integration:default/authentik]',
        }),
      }),
    ).toEqual([]);
  });

  it('reports a partner that does not exist', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', { partner: 'ghost-it' }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.partner: partner "ghost-it" does not exist (looked for partner:default/ghost-it)',
    ]);
  });

  it('reports an integration that does not exist, naming its index', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {
          integrations: '[authentik, fax, stalwart]',
        }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.integrations[1]: integration "fax" does not exist (looked for integration:default/fax)',
    ]);
  });

  it('reports an owner group that does not exist, on every Dezky kind', async () => {
    expect(
      await check({
        ...base,
        'integrations/authentik.yaml': base[
          'integrations/authentik.yaml'
        ].replace('owner: dezky-platform-admins', 'owner: platform-team'),
        'tenants/acme.yaml': tenantYaml('acme', {
          owner: 'group:default/nordlicht',
        }),
      }),
    ).toEqual([
      'integrations/authentik.yaml: Integration/authentik: spec.owner: group "platform-team" does not exist (looked for group:default/platform-team)',
      'tenants/acme.yaml: Tenant/acme: spec.owner: group "group:default/nordlicht" does not exist (looked for group:default/nordlicht)',
    ]);
  });

  it('reports an owner that names a user that does not exist', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', { owner: 'user:ole' }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.owner: user "user:ole" does not exist (looked for user:default/ole)',
    ]);
  });

  it('reports an owner that points at a Partner', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {
          owner: 'partner:nordlicht-it',
        }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.owner: must name a group or a user (got "partner:nordlicht-it")',
    ]);
  });

  it('reports a partner field that points at an existing entity of another kind', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {}),
        'tenants/beta.yaml': tenantYaml('beta', {
          partner: 'tenant:acme',
          integrations: '[authentik, partner:nordlicht-it]',
        }),
      }),
    ).toEqual([
      'tenants/beta.yaml: Tenant/beta: spec.partner: must name a partner (got "tenant:acme")',
      'tenants/beta.yaml: Tenant/beta: spec.integrations[1]: must name an integration (got "partner:nordlicht-it")',
    ]);
  });

  it('reports a ref that cannot be parsed', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', { partner: "'partner:'" }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.partner: is not a valid entity ref: Entity reference "partner:" was not on the form [<kind>:][<namespace>/]<name>',
    ]);
  });

  it('reports a name defined twice, across files, naming the first file', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {}),
        'tenants/acme-copy.yaml': tenantYaml('acme', { plan: 'starter' }),
      }),
    ).toEqual([
      'tenants/acme-copy.yaml: Tenant/acme: metadata.name: duplicates tenant:default/acme already defined in tenants/acme.yaml',
    ]);
  });

  it('does not take the same name in two kinds for a duplicate', async () => {
    expect(
      await check({
        ...base,
        'tenants/authentik.yaml': tenantYaml('authentik', {}),
      }),
    ).toEqual([]);
  });

  it('reports schema problems and reference problems of the same entity together', async () => {
    expect(
      await check({
        ...base,
        'tenants/acme.yaml': tenantYaml('acme', {
          seats: '-1',
          partner: 'ghost-it',
        }),
      }),
    ).toEqual([
      'tenants/acme.yaml: Tenant/acme: spec.seats: must be >= 0 (got -1)',
      'tenants/acme.yaml: Tenant/acme: spec.partner: partner "ghost-it" does not exist (looked for partner:default/ghost-it)',
    ]);
  });

  it('reports an unknown kind of the Dezky apiVersion', async () => {
    expect(
      await check({
        ...base,
        'partners/reseller.yaml':
          'apiVersion: dezky.io/v1alpha1\nkind: Reseller\nmetadata: { name: r1 }\nspec: {}\n',
      }),
    ).toEqual([
      'partners/reseller.yaml: Reseller/r1: kind: must be one of Partner, Tenant, Integration for dezky.io/v1alpha1 (got "Reseller")',
    ]);
  });

  it('reports a Backstage User with an invalid spec through the built-in validator', async () => {
    expect(
      await check({
        ...base,
        'users.yaml':
          'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: ole }\nspec:\n  memberOf: partner-nordlicht-it\n',
      }),
    ).toEqual([
      'users.yaml: User/ole: (schema): /spec/memberOf must be array - type: array',
    ]);
  });

  it('reports missing apiVersion, kind and name', async () => {
    expect(
      await check({ 'x.yaml': 'metadata: { title: nothing }\nspec: {}\n' }),
    ).toEqual([
      'x.yaml: (document 1): apiVersion: is required',
      'x.yaml: (document 1): kind: is required',
      'x.yaml: (document 1): metadata.name: is required',
    ]);
  });

  it('labels an unnamed entity by its document number within its own file', async () => {
    expect(
      await check({
        ...base, // org.yaml holds 3 documents before this file
        'tenants/unnamed.yaml': `${tenantYaml(
          'acme',
          {},
        )}---\napiVersion: dezky.io/v1alpha1\nkind: Tenant\nmetadata: {}\n`,
      }),
    ).toEqual([
      'tenants/unnamed.yaml: (document 2): metadata.name: is required',
    ]);
  });
});

describe('parseCatalogFile', () => {
  it('returns every document of a file as an entity sourced from it, skipping empty ones', () => {
    const { entities, problems } = parseCatalogFile(
      'org.yaml',
      `${base['org.yaml']}---\n`,
    );
    expect(problems).toEqual([]);
    expect(
      entities.map(s => [s.file, s.entity.kind, s.entity.metadata.name]),
    ).toEqual([
      ['org.yaml', 'Group', 'dezky-platform-admins'],
      ['org.yaml', 'Group', 'partner-nordlicht-it'],
      ['org.yaml', 'User', 'jana'],
    ]);
  });

  it('reports a YAML syntax error as a (yaml) problem of its document and keeps the others', async () => {
    const text = `${tenantYaml(
      'acme',
      {},
    )}---\napiVersion: dezky.io/v1alpha1\nkind: Tenant\nmetadata: { name: beta\nspec: {}\n`;
    const { entities, problems } = parseCatalogFile('tenants/acme.yaml', text);
    expect(entities.map(s => s.entity.metadata.name)).toEqual(['acme']);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const p of problems) {
      expect(p).toEqual({
        file: 'tenants/acme.yaml',
        entity: '(document 2)',
        field: '(yaml)',
        message: expect.any(String),
      });
      expect(p.message).not.toContain('\n');
    }
    expect(formatCatalogProblem(problems[0])).toMatch(
      /^tenants\/acme\.yaml: \(document 2\): \(yaml\): \S/,
    );

    // validate-catalog reports it with the file's other problems
    const lines = await check({ ...base, 'tenants/acme.yaml': text });
    expect(lines.length).toBe(problems.length);
    expect(lines[0]).toMatch(
      /^tenants\/acme\.yaml: \(document 2\): \(yaml\): /,
    );
  });

  it.each([
    ['a list', '- apiVersion: dezky.io/v1alpha1\n- kind: Tenant\n'],
    ['a string', 'just some text\n'],
    ['a number', '42\n'],
  ])('reports a document that is %s, not a mapping', (_name, text) => {
    expect(parseCatalogFile('bad.yaml', text)).toEqual({
      entities: [],
      problems: [
        {
          file: 'bad.yaml',
          entity: '(document 1)',
          field: '(document)',
          message: 'must be a mapping with apiVersion, kind, metadata and spec',
        },
      ],
    });
  });
});

describe('checkDezkyReferences', () => {
  const acme = parseCatalogFile(
    't.yaml',
    tenantYaml('acme', { integrations: '[authentik, authentik-two]' }),
  ).entities[0].entity as Entity;

  it('asks for every full ref the entity makes, once per reference', async () => {
    const asked: string[][] = [];
    const problems = await checkDezkyReferences(acme, refs => {
      asked.push(refs);
      return new Set(refs);
    });
    expect(problems).toEqual([]);
    expect(asked).toEqual([
      [
        'group:default/partner-nordlicht-it',
        'partner:default/nordlicht-it',
        'integration:default/authentik',
        'integration:default/authentik-two',
      ],
    ]);
  });

  it('reports the refs the lookup did not find, and accepts an async lookup', async () => {
    expect(
      await checkDezkyReferences(
        acme,
        async refs => new Set(refs.filter(r => !r.endsWith('/authentik-two'))),
      ),
    ).toEqual([
      {
        field: 'spec.integrations[1]',
        message:
          'integration "authentik-two" does not exist (looked for integration:default/authentik-two)',
      },
    ]);
  });

  it('resolves refs in the namespace of the entity', async () => {
    const inOps = { ...acme, metadata: { ...acme.metadata, namespace: 'ops' } };
    const asked: string[] = [];
    await checkDezkyReferences(inOps, refs => {
      asked.push(...refs);
      return new Set(refs);
    });
    expect(asked).toContain('partner:ops/nordlicht-it');
    expect(asked).toContain('integration:ops/authentik');
  });

  it('makes no lookup for entities that are not Dezky kinds', async () => {
    const lookup = jest.fn(() => new Set<string>());
    const group: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'g' },
      spec: { owner: 'nobody' },
    };
    expect(await checkDezkyReferences(group, lookup)).toEqual([]);
    expect(lookup).not.toHaveBeenCalled();
  });
});
