import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { healthPlugin } from './plugin';

/*
 * Two backend instances on one PostgreSQL database, each with the health
 * plugin, the real database service (its own connections) and the real
 * Backstage scheduler, whose lock for the `global` scope lives in that
 * database: each scheduled probe round runs once, not once per instance.
 * The probe target is a local HTTP server that counts its requests and
 * answers after PROBE_MS, so a round takes at least that long: requests stay
 * at about one per interval (not two), every round stores exactly one row
 * per integration, and no round starts before the previous one ended.
 *
 * PostgreSQL only; skipped without one (no
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING), a failure under
 * DEZKY_REQUIRE_POSTGRES=1 (dezkyTestDatabases()).
 */

const INTERVAL_S = 1;
const PROBE_MS = 300;
const OBSERVE_MS = 12_000;
const INTEGRATIONS = ['alpha', 'beta'];

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const hasPostgres = databases.supports('POSTGRES_15');
if (!hasPostgres) {
  // eslint-disable-next-line no-console
  console.warn(
    'plugin.twoInstances.test.ts skipped: needs PostgreSQL ' +
      '(BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, as scripts/test sets)',
  );
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

(hasPostgres ? describe : describe.skip)(
  'two health backends on one PostgreSQL database',
  () => {
    let knex: Knex;
    let target: http.Server;
    let targetUrl: string;
    /** Per probe request: the integration and the instance that sent it. */
    const received: { integration: string; instance: string }[] = [];
    const backends: { stop(): Promise<void> }[] = [];
    /** The instances' own knex pools, as the health plugin gets them. */
    const pools: Knex[] = [];
    const poolOfInstance = createBackendModule({
      pluginId: 'health',
      moduleId: 'test-pool',
      register(env) {
        env.registerInit({
          deps: { database: coreServices.database },
          async init({ database }) {
            pools.push(await database.getClient());
          },
        });
      },
    });

    beforeAll(async () => {
      knex = await databases.init('POSTGRES_15');
      target = http.createServer((req, res) => {
        const url = new URL(req.url!, 'http://localhost');
        received.push({
          integration: url.pathname.slice(1),
          instance: url.searchParams.get('instance')!,
        });
        setTimeout(() => res.end('ok'), PROBE_MS);
      });
      await new Promise<void>(r => target.listen(0, '127.0.0.1', r));
      targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await Promise.all(backends.map(b => b.stop()));
      // stopping leaves the instances' pg pools open (DatabaseManager's
      // shutdown in @backstage/backend-defaults 0.19 throws before destroying
      // them), which would keep the test database from being dropped
      await Promise.all(pools.map(pool => pool.destroy()));
      target.closeAllConnections();
      await new Promise(r => target.close(r));
    });

    /** One instance: its own database service and scheduler, same database. */
    async function startInstance(instance: string) {
      const { connection } = knex.client.config as Knex.Config;
      const { database, ...pgServer } = connection as Knex.PgConnectionConfig;
      const backend = await startTestBackend({
        features: [
          healthPlugin,
          poolOfInstance,
          databaseServiceFactory,
          schedulerServiceFactory,
          catalogServiceMock.factory({
            entities: INTEGRATIONS.map(name => ({
              apiVersion: 'dezky.io/v1alpha1',
              kind: 'Integration',
              metadata: { name, namespace: 'default' },
              spec: {
                owner: 'group:default/dezky-platform-admins',
                type: 'mail',
                lifecycle: 'production',
                probe: {
                  type: 'http',
                  target: `${targetUrl}/${name}?instance=${instance}`,
                },
              },
            })),
          }),
          mockServices.rootConfig.factory({
            data: {
              backend: {
                database: {
                  client: 'pg',
                  connection: JSON.parse(JSON.stringify(pgServer)),
                  plugin: { health: { connection: { database } } },
                },
              },
              health: { probeInterval: INTERVAL_S },
            },
          }),
        ],
      });
      backends.push(backend);
      return backend;
    }

    it('runs each scheduled round once, on one instance at a time', async () => {
      const t0 = Date.now();
      // one after the other, as a rolling deployment does: both migrate
      const a = await startInstance('a');
      const b = await startInstance('b');
      await sleep(OBSERVE_MS);

      // rows first, then requests: every row's request has arrived by then
      const rows: { integration_ref: string; checked_at: string }[] =
        await knex('health_samples')
          .select('integration_ref', 'checked_at')
          .orderBy([{ column: 'checked_at' }, { column: 'integration_ref' }]);
      const requests = received.length;
      const elapsedS = (Date.now() - t0) / 1000;

      const rounds = [...new Set(rows.map(r => r.checked_at))];
      const starts = rounds.map(at => Date.parse(at));
      const gaps = starts.slice(1).map((s, i) => s - starts[i]);
      const byInstance = (instance: string) =>
        received.filter(r => r.instance === instance).length /
        INTEGRATIONS.length;
      // eslint-disable-next-line no-console
      console.log(
        `${rounds.length} rounds stored in ${elapsedS.toFixed(1)} s, ` +
          `${requests} probe requests (${INTEGRATIONS.length} per round), ` +
          `rounds probed by a: ${byInstance('a')}, b: ${byInstance('b')}, ` +
          `gaps ${Math.min(...gaps)}..${Math.max(...gaps)} ms`,
      );

      // at most one round per interval since the first instance started
      // (the scheduler sets the next run to the previous one plus the
      // interval), not one per interval and instance; and rounds did run
      expect(rounds.length).toBeLessThanOrEqual(
        Math.floor(elapsedS / INTERVAL_S) + 1,
      );
      expect(rounds.length).toBeGreaterThanOrEqual(
        Math.floor(OBSERVE_MS / 1000 / INTERVAL_S / 2),
      );

      // one row per integration per round, rounds told apart by checked_at
      expect(rows).toHaveLength(rounds.length * INTEGRATIONS.length);
      for (const at of rounds) {
        expect(
          rows.filter(r => r.checked_at === at).map(r => r.integration_ref),
        ).toEqual(INTEGRATIONS.map(name => `integration:default/${name}`));
      }

      // one probe per integration per stored round, plus at most one round
      // in flight at the moment the rows were read
      expect(requests).toBeGreaterThanOrEqual(rows.length);
      expect(requests).toBeLessThanOrEqual(rows.length + INTEGRATIONS.length);

      // a round is claimed only once the previous one was released, which
      // is after its probes were answered: no two rounds overlap
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(PROBE_MS);

      // both instances are up with a live worker for the global task
      for (const { server } of [a, b]) {
        const res = await request(server)
          .get('/api/health/.backstage/scheduler/v1/tasks')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expect(res.body.tasks).toEqual([
          expect.objectContaining({
            taskId: 'health-probe-round',
            scope: 'global',
            workerState: { status: expect.stringMatching(/^(idle|running)$/) },
          }),
        ]);
      }
    });
  },
);
