import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleUnprocessedEntities from '@backstage/plugin-catalog-backend-module-unprocessed';
import catalogModuleDezky from './index';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';

jest.setTimeout(120_000);

const repoCatalog = path.resolve(__dirname, '../../../catalog');
const databases = dezkyTestDatabases();

/** Every entity of catalog/, read straight from the files: the expectation. */
async function seededEntities(): Promise<Entity[]> {
  const out: Entity[] = [];
  for (const dir of ['.', 'partners', 'tenants', 'integrations']) {
    for (const file of await fs.readdir(path.join(repoCatalog, dir))) {
      if (!file.endsWith('.yaml')) continue;
      const text = await fs.readFile(path.join(repoCatalog, dir, file), 'utf8');
      out.push(...parseAllDocuments(text).map(d => d.toJS() as Entity));
    }
  }
  return out;
}

async function eventually<T>(
  fn: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, 250));
    }
  }
}

describe.each(databases.eachSupportedId())(
  'the Dezky catalog module in a real catalog on %p',
  databaseId => {
    let dir: string;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: () => Promise<void>;

    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezky-catalog-'));
      await fs.cp(repoCatalog, path.join(dir, 'catalog'), { recursive: true });
      await fs.mkdir(path.join(dir, 'broken'));
      await fs.writeFile(
        path.join(dir, 'broken', 'bad.yaml'),
        [
          'apiVersion: dezky.io/v1alpha1',
          'kind: Partner',
          'metadata: { name: greedy-reseller }',
          'spec:',
          '  owner: group:default/dezky-platform-admins',
          '  domain: greedy.example',
          '  status: active',
          '  marginPct: 140',
          '  contact: { name: G, email: g@greedy.example }',
          '  billing: { company: G, country: DE, email: b@greedy.example, currency: EUR }',
          '---',
          'apiVersion: dezky.io/v1alpha1',
          'kind: Tenant',
          'metadata: { name: negative-seats }',
          'spec:',
          '  owner: group:default/dezky-platform-admins',
          '  plan: business',
          '  seats: -1',
          '  domains: [negative.example]',
          '---',
          'apiVersion: dezky.io/v1alpha1',
          'kind: Tenant',
          'metadata: { name: orphan-tenant }',
          'spec:',
          '  owner: group:default/dezky-platform-admins',
          '  partner: no-such-partner',
          '  plan: business',
          '  seats: 3',
          '  domains: [orphan.example]',
          '',
        ].join('\n'),
      );
      const knex = await databases.init(databaseId);
      const file = (target: string, kinds: string[]) => ({
        type: 'file',
        target: path.join(dir, target),
        rules: [{ allow: kinds }],
      });
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          catalogModuleUnprocessedEntities,
          catalogModuleDezky,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                processingInterval: { seconds: 1 },
                locations: [
                  file('catalog/org.yaml', ['User', 'Group']),
                  file('catalog/partners/*.yaml', ['Partner']),
                  file('catalog/tenants/*.yaml', ['Tenant']),
                  file('catalog/integrations/*.yaml', ['Integration']),
                  file('broken/*.yaml', ['Partner', 'Tenant']),
                ],
              },
            },
          }),
        ],
      });
      server = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
      await fs.rm(dir, { recursive: true, force: true });
    });

    const get = (url: string) =>
      request(server)
        .get(url)
        .set('Authorization', mockCredentials.user.header());

    it('lists every seeded Tenant, Partner and Integration with its relations', async () => {
      const seeded = (await seededEntities()).filter(e =>
        ['Tenant', 'Partner', 'Integration'].includes(e.kind),
      );
      const entities: Entity[] = await eventually(async () => {
        const res = await get(
          '/api/catalog/entities?filter=kind=tenant&filter=kind=partner&filter=kind=integration',
        );
        expect(res.status).toBe(200);
        expect(
          res.body.map((e: Entity) => `${e.kind}/${e.metadata.name}`).sort(),
        ).toEqual(seeded.map(e => `${e.kind}/${e.metadata.name}`).sort());
        return res.body;
      });

      const byRef = new Map(
        entities.map(e => [
          `${e.kind.toLowerCase()}:default/${e.metadata.name}`,
          e,
        ]),
      );
      const relations = (ref: string, type: string) =>
        (byRef.get(ref)?.relations ?? [])
          .filter(r => r.type === type)
          .map(r => r.targetRef)
          .sort();

      for (const tenant of seeded.filter(e => e.kind === 'Tenant')) {
        const ref = `tenant:default/${tenant.metadata.name}`;
        const partner = tenant.spec?.partner as string | undefined;
        expect(relations(ref, 'resoldBy')).toEqual(
          partner ? [`partner:default/${partner}`] : [],
        );
        const integrations = (tenant.spec?.integrations as string[]).map(
          i => `integration:default/${i}`,
        );
        expect(relations(ref, 'dependsOn')).toEqual([...integrations].sort());
        for (const i of integrations) {
          // no back-relation: it would show every partner's tenants on the integration
          expect(relations(i, 'dependencyOf')).toEqual([]);
        }
        expect(relations(ref, 'ownedBy')).toEqual([tenant.spec?.owner]);
      }
      // a partner resells exactly the tenants that name it
      for (const partner of seeded.filter(e => e.kind === 'Partner')) {
        const expected = seeded
          .filter(
            e =>
              e.kind === 'Tenant' && e.spec?.partner === partner.metadata.name,
          )
          .map(e => `tenant:default/${e.metadata.name}`)
          .sort();
        expect(
          relations(`partner:default/${partner.metadata.name}`, 'resells'),
        ).toEqual(expected);
        expect(
          relations(`partner:default/${partner.metadata.name}`, 'ownedBy'),
        ).toEqual([partner.spec?.owner]);
      }
      // the owner group sees what it owns
      const group = await get(
        '/api/catalog/entities/by-name/group/default/partner-nordlicht-it',
      );
      expect(
        group.body.relations
          .filter((r: any) => r.type === 'ownerOf')
          .map((r: any) => r.targetRef),
      ).toContain('partner:default/nordlicht-it');
    });

    it('keeps invalid entities out, names the field, and loads the rest', async () => {
      const pending = await eventually(async () => {
        const res = await get('/api/catalog/entities/unprocessed/pending');
        expect(res.status).toBe(200);
        const withErrors = res.body.entities.filter(
          (e: any) => e.errors?.length,
        );
        expect(
          withErrors
            .map((e: any) => stringifyEntityRef(e.unprocessed_entity))
            .sort(),
        ).toEqual([
          'partner:default/greedy-reseller',
          'tenant:default/negative-seats',
          'tenant:default/orphan-tenant',
        ]);
        return withErrors;
      });
      const messages = Object.fromEntries(
        pending.map((e: any) => [
          stringifyEntityRef(e.unprocessed_entity),
          e.errors.map((x: any) => x.message).join('; '),
        ]),
      );
      expect(messages['partner:default/greedy-reseller']).toContain(
        'Partner/greedy-reseller: spec.marginPct: must be <= 100 (got 140)',
      );
      expect(messages['tenant:default/negative-seats']).toContain(
        'Tenant/negative-seats: spec.seats: must be >= 0 (got -1)',
      );
      expect(messages['tenant:default/orphan-tenant']).toContain(
        'Tenant/orphan-tenant: spec.partner: partner "no-such-partner" does not exist',
      );
      for (const ref of Object.keys(messages)) {
        const [kind, rest] = ref.split(':');
        const res = await get(`/api/catalog/entities/by-name/${kind}/${rest}`);
        expect(res.status).toBe(404);
      }
      // the valid neighbours loaded regardless
      const acme = await get(
        '/api/catalog/entities/by-name/tenant/default/acme',
      );
      expect(acme.status).toBe(200);
    });

    it('reflects an edit of a tenant file without a restart', async () => {
      const file = path.join(dir, 'catalog/tenants/acme.yaml');
      const text = await fs.readFile(file, 'utf8');
      expect(text).toMatch(/seats: 25\n/);
      await fs.writeFile(file, text.replace('seats: 25\n', 'seats: 31\n'));
      await eventually(async () => {
        const res = await get(
          '/api/catalog/entities/by-name/tenant/default/acme',
        );
        expect(res.body.spec.seats).toBe(31);
      });
    });

    it('shows an error on an existing entity that an edit made invalid, keeping its last good state', async () => {
      const file = path.join(dir, 'catalog/tenants/hafenkontor.yaml');
      const text = await fs.readFile(file, 'utf8');
      await fs.writeFile(file, text.replace('seats: 8\n', 'seats: 2.5\n'));
      const res = await eventually(async () => {
        const r = await get(
          '/api/catalog/entities/by-name/tenant/default/hafenkontor',
        );
        expect(r.body.status?.items?.[0]?.message).toContain(
          'Tenant/hafenkontor: spec.seats: must be a whole number (got 2.5)',
        );
        return r;
      });
      expect(res.body.spec.seats).toBe(8);
      await fs.writeFile(file, text);
    });
  },
);
