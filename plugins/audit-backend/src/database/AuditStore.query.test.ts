import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEvent, AuditEventInput } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import { verifyChain } from '../services/verifyChain';
import { AuditEventFilter, AuditStore } from './AuditStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const ev = (
  action: string,
  extra: Partial<AuditEventInput> = {},
): AuditEventInput => ({
  at: '2026-11-25T12:00:00.000Z',
  actor: { type: 'user', email: 'someone@example.org' },
  action,
  outcome: 'success',
  source: 'portal',
  ...extra,
});

const events: AuditEventInput[] = [
  ev('tenant.suspended', {
    at: '2026-11-25T10:00:00.000Z',
    tenant: 'tenant:default/acme',
    partner: 'partner:default/nordlicht-it',
    actor: {
      type: 'user',
      ref: 'user:default/anna',
      email: 'Anna@Dezky.example',
    },
  }),
  ev('tenant_x.odd%name', { at: '2026-11-25T11:00:00.000Z' }),
  ev('tenant.updated', {
    at: '2026-11-25T12:00:00.000Z',
    tenant: 'tenant:default/bergblick',
    partner: 'partner:default/alpenwerk',
    outcome: 'failure',
    resource: { type: 'tenant', name: 'Bergblick 100% Hotels' },
  }),
  ev('partner.updated', {
    at: '2026-11-25T13:00:00.000Z',
    partner: 'partner:default/alpenwerk',
    source: 'stripe',
  }),
  ev('tenant.created', {
    at: '2026-11-25T14:00:00.000Z',
    tenant: 'tenant:default/echo',
  }),
];

describe.each(databases.eachSupportedId())(
  'AuditStore.query on %p',
  databaseId => {
    let knex: Knex;
    let store: AuditStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      await store.append(events);
    });

    const actions = async (
      filter: AuditEventFilter,
      extra: Partial<Parameters<AuditStore['query']>[0]> = {},
    ) =>
      (await store.query({ filter, limit: 100, ...extra })).map(e => e.action);

    it.each<[AuditEventFilter, string[]]>([
      [
        {},
        [
          'tenant.created',
          'partner.updated',
          'tenant.updated',
          'tenant_x.odd%name',
          'tenant.suspended',
        ],
      ],
      [{ action: 'tenant.updated' }, ['tenant.updated']],
      [
        { actionPrefix: 'tenant.' },
        ['tenant.created', 'tenant.updated', 'tenant.suspended'],
      ],
      [{ actionPrefix: 'tenant_' }, ['tenant_x.odd%name']],
      [{ q: '%' }, ['tenant.updated', 'tenant_x.odd%name']],
      [{ q: '100%' }, ['tenant.updated']],
      [{ q: 'HOTELS' }, ['tenant.updated']],
      [{ q: 'anna@' }, ['tenant.suspended']],
      [{ actor: 'ANNA@dezky.EXAMPLE' }, ['tenant.suspended']],
      [{ actor: 'user:default/anna' }, ['tenant.suspended']],
      [{ tenant: 'TENANT:default/Acme' }, ['tenant.suspended']],
      [
        { partner: 'partner:default/alpenwerk' },
        ['partner.updated', 'tenant.updated'],
      ],
      [{ outcome: 'failure' }, ['tenant.updated']],
      [{ source: 'stripe' }, ['partner.updated']],
      [
        { since: '2026-11-25T12:00:00.000Z' },
        ['tenant.created', 'partner.updated', 'tenant.updated'],
      ],
      [
        { until: '2026-11-25T12:00:00.000Z' },
        ['tenant_x.odd%name', 'tenant.suspended'],
      ],
      [
        {
          since: '2026-11-25T11:00:00.000Z',
          until: '2026-11-25T13:00:00.000Z',
          actionPrefix: 'tenant',
        },
        ['tenant.updated', 'tenant_x.odd%name'],
      ],
    ])('filter %j', async (filter, expected) => {
      expect(await actions(filter)).toEqual(expected);
    });

    it('applies partner scope criteria in SQL, combined with filters and the cursor', async () => {
      const scope = {
        column: 'partnerRef' as const,
        values: ['Partner:default/Alpenwerk'],
      };
      expect(await actions({}, { scope })).toEqual([
        'partner.updated',
        'tenant.updated',
      ]);
      expect(await actions({ source: 'portal' }, { scope })).toEqual([
        'tenant.updated',
      ]);
      expect(await actions({}, { scope, beforeSeq: 4 })).toEqual([
        'tenant.updated',
      ]);
      expect(await actions({}, { scope: { not: scope } })).toEqual([
        'tenant.created',
        'tenant_x.odd%name',
        'tenant.suspended',
      ]);
      expect(
        await actions({}, { scope: { column: 'partnerRef', values: [] } }),
      ).toEqual([]);
    });

    it('keeps one cursor per ingest source, replacing it on save', async () => {
      expect(await store.getCursor('authentik')).toBeUndefined();
      await store.setCursor('authentik', '{"lastEventId":"a"}');
      await store.setCursor('authentik', '{"lastEventId":"b"}');
      await store.setCursor('ocis', '{"inode":1,"offset":2}');
      expect(await store.getCursor('authentik')).toBe('{"lastEventId":"b"}');
      expect(await store.getCursor('ocis')).toBe('{"inode":1,"offset":2}');
    });
  },
);

describe.each(databases.eachSupportedId())(
  'AuditStore.append on %p',
  databaseId => {
    it('hashes metadata as stored, so a Date or undefined inside still verifies', async () => {
      const knex = await databases.init(databaseId);
      const store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      const [event] = (await store.append([
        ev('tenant.updated', {
          metadata: { when: new Date('2026-11-25T01:02:03Z'), gone: undefined },
        }),
      ])) as AuditEvent[];
      expect(event.metadata).toEqual({ when: '2026-11-25T01:02:03.000Z' });
      await expect(verifyChain(store)).resolves.toMatchObject({
        ok: true,
        verified: 1,
      });
    });
  },
);
