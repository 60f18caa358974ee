/*
 * A domain removed from spec.domains, against the development stand-ins on
 * SQLite and PostgreSQL: removed from Stalwart (its DKIM keys first) when
 * nothing uses it; kept, with the step naming the account, alias and
 * mailing list that hold it, while something does; removed once they are gone.
 */
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  startDevPlatform,
} from '@internal/dev-platform';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import {
  converge,
  instance,
  Instance,
  tenant,
} from './__testUtils__/devPlatformHarness';
import { IN_USE_RECHECK_MS } from './steps/stalwartStep';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();

describe.each(databases.eachSupportedId())(
  'a domain removed from spec.domains, against dev-platform on %p',
  id => {
    let platform: DevPlatform;
    let knex: Knex;
    let p: Instance;

    const basic = () =>
      `Basic ${Buffer.from(
        `${DEV_PLATFORM_CREDENTIALS.stalwart.username}:${DEV_PLATFORM_CREDENTIALS.stalwart.password}`,
      ).toString('base64')}`;
    const jmap = async (calls: unknown[]) => {
      const res = await fetch(`${platform.urls.stalwart}/jmap`, {
        method: 'POST',
        headers: { authorization: basic(), 'content-type': 'application/json' },
        body: JSON.stringify({
          using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'],
          methodCalls: calls,
        }),
      });
      return (await res.json()).methodResponses as Array<[string, any, string]>;
    };
    const stalwart = () => {
      const s = platform.state().stalwart;
      return {
        domains: (s.domains as Array<{ id: string; name: string }>).map(
          d => d.name,
        ),
        dkim: (s.dkimSignatures as Array<{ domainId: string }>).map(
          k => k.domainId,
        ),
      };
    };
    const stalwartCondition = async (ref: string) =>
      (await p.store.conditions([ref]))
        .get(ref)!
        .find(c => c.step === 'stalwart')!;

    beforeAll(async () => {
      platform = await startDevPlatform({ dkimDelayMs: 50 });
    });
    afterAll(async () => {
      await platform.stop();
    });
    beforeEach(async () => {
      platform.reset();
      knex = await databases.init(id);
      p = await instance(knex, platform);
    });

    it('removes a free domain with its DKIM keys; keeps one in use, naming the account, alias and list that hold it, until they are gone', async () => {
      const t = tenant(1); // tenant-0001.example, mail.tenant-0001.example
      const [main, extra] = t.domains;
      await p.engine.sync([t]);
      const conditions = await converge(p, [t.tenantRef]);
      const ext = conditions.get(t.tenantRef)!.find(c => c.step === 'stalwart')!
        .external!;
      const mainId = ext[`domain:${main}`];
      const extraId = ext[`domain:${extra}`];
      expect(stalwart().dkim.filter(d => d === extraId)).toHaveLength(2);

      // ann's mailbox on the main domain with an alias on the extra one; a list on the extra one
      const [[, account]] = await jmap([
        [
          'x:Account/set',
          {
            create: {
              a: {
                '@type': 'User',
                name: 'ann',
                domainId: mainId,
                credentials: {
                  '0': { '@type': 'Password', secret: 'Vq7#mLp2!xRt9zKw' },
                },
                roles: { '@type': 'User' },
                permissions: { '@type': 'Inherit' },
                quotas: {},
                aliases: { '0': { name: 'ann', domainId: extraId } },
                memberGroupIds: {},
                encryptionAtRest: { '@type': 'Disabled' },
              },
            },
          },
          'c',
        ],
      ]);
      const annId = account.created.a.id as string;
      const [[, list]] = await jmap([
        [
          'x:MailingList/set',
          {
            create: {
              l: {
                name: 'team',
                domainId: extraId,
                recipients: { 'ann@people.example': true },
              },
            },
          },
          'c',
        ],
      ]);
      const listId = list.created.l.id as string;

      await p.engine.sync([{ ...t, domains: [main] }]);
      await p.engine.drain();
      const held = await stalwartCondition(t.tenantRef);
      expect(held).toMatchObject({
        status: 'pending',
        reason: 'DomainInUse',
        message: `${extra} is not removed from Stalwart: still used by account ann@${main} (an alias on ${extra}), mailing list team@${extra}`,
      });
      expect(held.observed).toMatchObject({ notInSpec: [extra] });
      expect(held.external![`domain:${extra}`]).toBe(extraId);
      // nothing removed: the domain and its DKIM keys are there
      expect(stalwart().domains).toContain(extra);
      expect(stalwart().dkim.filter(d => d === extraId)).toHaveLength(2);
      expect(p.audited.filter(e => e.action.endsWith('.deleted'))).toEqual([]);

      // the alias and the list go; the next try removes the domain
      await jmap([
        ['x:Account/set', { update: { [annId]: { aliases: {} } } }, 'u'],
        ['x:MailingList/set', { destroy: [listId] }, 'd'],
      ]);
      p.clock.offset += IN_USE_RECHECK_MS + 1000;
      await p.engine.drain();
      const done = await stalwartCondition(t.tenantRef);
      expect(done).toMatchObject({ status: 'ok' });
      expect(done.external).toEqual({ [`domain:${main}`]: mainId });
      expect(stalwart().domains).not.toContain(extra);
      expect(stalwart().domains).toContain(main);
      expect(stalwart().dkim.filter(d => d === extraId)).toEqual([]);
      expect(stalwart().dkim.filter(d => d === mainId)).toHaveLength(2);
      expect(
        p.audited
          .filter(e => e.action.endsWith('.deleted'))
          .map(e => [e.action, e.resource?.name ?? e.resource?.ref]),
      ).toEqual([
        ['provisioning.dkim-key.deleted', extra],
        ['provisioning.dkim-key.deleted', extra],
        ['provisioning.domain.deleted', extra],
      ]);
    });
  },
);
