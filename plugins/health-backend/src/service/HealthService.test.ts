import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Knex } from 'knex';
import { HealthStore } from '../database/HealthStore';
import { HealthService } from './HealthService';

/*
 * The round's housekeeping: after a round, samples past 30 days are rolled
 * up by the hour (at most once an hour); a failed compaction is logged,
 * changes nothing, does not fail the round, and is retried next round.
 * Histories are summarised at most once per 10 s, and again after a round.
 */

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const DAY = 24 * 60 * 60 * 1000;

let server: http.Server;
let target: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(r => server.close(r));
});

describe.each(databases.eachSupportedId())(
  'HealthService rounds on %p',
  databaseId => {
    let knex: Knex;
    let store: HealthStore;
    let now: number;
    const logger = mockServices.logger.mock();

    const service = () =>
      new HealthService({
        catalog: catalogServiceMock({
          entities: [
            {
              apiVersion: 'dezky.io/v1alpha1',
              kind: 'Integration',
              metadata: { name: 'web', namespace: 'default' },
              spec: {
                owner: 'group:default/dezky-platform-admins',
                type: 'proxy',
                lifecycle: 'production',
                probe: { type: 'http', target },
              },
            },
          ],
        }),
        auth: mockServices.auth(),
        store,
        logger,
        now: () => now,
      });

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await HealthStore.create({
        database: mockServices.database({ knex }),
      });
      now = Date.parse('2026-12-01T12:00:00.000Z');
      jest.clearAllMocks();
    });

    const oldSample = (daysAgo: number) => ({
      integration: 'integration:default/web',
      checkedAt: new Date(now - daysAgo * DAY).toISOString(),
      status: 'ok' as const,
      latencyMs: 5,
    });

    it('rolls old samples up after a round, at most once an hour', async () => {
      const health = service();
      await store.insert([oldSample(31), oldSample(32)]);
      await health.runRound();
      expect(await knex('health_rollups').select('hour')).toHaveLength(2);
      expect(await store.samples('integration:default/web', '')).toHaveLength(
        1,
      );

      // within the hour: the next round does not compact
      await store.insert([oldSample(33)]);
      now += 30_000;
      await health.runRound();
      expect(await knex('health_rollups').select('hour')).toHaveLength(2);
      // an hour later it does
      now += 60 * 60 * 1000;
      await health.runRound();
      expect(await knex('health_rollups').select('hour')).toHaveLength(3);
    });

    it('logs a failed compaction, keeps the round, and retries next round', async () => {
      const health = service();
      await store.insert([oldSample(31)]);
      const compact = jest
        .spyOn(store, 'compact')
        .mockRejectedValueOnce(new Error('disk full'));
      const items = await health.runRound();
      expect(items).toEqual([
        expect.objectContaining({
          integration: 'integration:default/web',
          status: 'ok',
        }),
      ]);
      expect(logger.error).toHaveBeenCalledWith(
        expect.stringContaining(
          'compaction failed, will retry after the next round: Error: disk full',
        ),
      );
      expect(await knex('health_rollups').select('hour')).toHaveLength(0);

      now += 30_000;
      await health.runRound();
      expect(compact).toHaveBeenCalledTimes(2);
      expect(await knex('health_rollups').select('hour')).toHaveLength(1);
    });

    it('summarises a history at most once per 10 s, and again after a round', async () => {
      const health = service();
      const history = jest.spyOn(store, 'history');
      const ref = 'integration:default/web';
      await health.runRound();
      const first = await health.history(ref);
      expect(first?.samples['24h']).toBe(1);
      await health.history('Integration:default/WEB');
      expect(history).toHaveBeenCalledTimes(1);
      // another window is another summary
      await health.history(ref, { window: '7d' });
      expect(history).toHaveBeenCalledTimes(2);
      // 10 s later: summarised again
      now += 10_000;
      await health.history(ref);
      expect(history).toHaveBeenCalledTimes(3);
      // a new round: summarised again, with its sample
      now += 1_000;
      await health.runRound();
      expect((await health.history(ref))?.samples['24h']).toBe(2);
      expect(history).toHaveBeenCalledTimes(4);
      // a failed summary is not kept
      history.mockRejectedValueOnce(new Error('connection lost'));
      now += 10_000;
      await expect(health.history(ref)).rejects.toThrow('connection lost');
      expect((await health.history(ref))?.samples['24h']).toBe(2);
      expect(history).toHaveBeenCalledTimes(6);
    });
  },
);
