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
import { recordingAuditTrail } from '@internal/plugin-audit-node';
import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
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
 * Then the instance that ran the rounds (in practice the first one, `a`)
 * stops, between two rounds, and the other one (`b`) takes over: the
 * following rounds are probed by `b` only (the probe URLs carry
 * `?instance=a|b`), still one row per integration per round, none
 * overlapping. Why between two rounds: see the take-over part of the test.
 *
 * PostgreSQL only (describeOnPostgres): a failure without one under
 * DEZKY_REQUIRE_POSTGRES=1 (scripts/test, CI), reported as skipped only
 * without it on a machine with no PostgreSQL.
 */

const INTERVAL_S = 1;
const PROBE_MS = 300;
const OBSERVE_MS = 12_000;
const INTEGRATIONS = ['alpha', 'beta'];
/** Rounds `b` must run after `a` stopped, and how long that may take. */
const TAKEOVER_ROUNDS = 4;
const TAKEOVER_DEADLINE_MS = 10_000;
/** `a` stops only while idle with its next run at least this far ahead. */
const STOP_MARGIN_MS = 300;
const IDLE_DEADLINE_MS = 5_000;
const POLL_MS = 10;
const TASK_ID = 'health-probe-round';
/** The scheduler's table, in the plugin's own database. */
const TASKS_TABLE = 'backstage_backend_tasks__tasks';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Polls `check` until it returns a value, failing after `deadlineMs`. */
async function waitFor<T>(
  what: string,
  deadlineMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${what} within ${deadlineMs} ms`);
    }
    await sleep(POLL_MS);
  }
}

type Row = { integration_ref: string; checked_at: string };

describeOnPostgres(
  databases,
  'two health backends on one PostgreSQL database',
  () => {
    let knex: Knex;
    let target: http.Server;
    let targetUrl: string;
    /** Per probe request: the integration and the instance that sent it. */
    const received: { integration: string; instance: string; at: number }[] =
      [];
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
          at: Date.now(),
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

    /** The stored samples, in round order. */
    async function readRows(): Promise<Row[]> {
      return knex('health_samples')
        .select('integration_ref', 'checked_at')
        .orderBy([{ column: 'checked_at' }, { column: 'integration_ref' }]);
    }

    /**
     * One instance: its own database service and scheduler, same database.
     * Returns the backend and its pool (see `pools`).
     */
    async function startInstance(instance: string) {
      const { connection } = knex.client.config as Knex.Config;
      const { database, ...pgServer } = connection as Knex.PgConnectionConfig;
      const backend = await startTestBackend({
        features: [
          healthPlugin,
          recordingAuditTrail().factory,
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
      return { backend, pool: pools[pools.length - 1] };
    }

    /** Expects the instance's scheduler to have a worker for the task. */
    async function expectTaskWorker(server: Parameters<typeof request>[0]) {
      const res = await request(server)
        .get('/api/health/.backstage/scheduler/v1/tasks')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expect(res.body.tasks).toEqual([
        expect.objectContaining({
          taskId: TASK_ID,
          scope: 'global',
          workerState: { status: expect.stringMatching(/^(idle|running)$/) },
        }),
      ]);
    }

    it('runs each scheduled round once, on one instance at a time, and lets the other take over', async () => {
      const t0 = Date.now();
      // one after the other, as a rolling deployment does: both migrate
      const a = await startInstance('a');
      const b = await startInstance('b');
      await sleep(OBSERVE_MS);

      // rows first, then requests: every row's request has arrived by then
      const rows = await readRows();
      const requests = received.length;
      const elapsedS = (Date.now() - t0) / 1000;

      const rounds = [...new Set(rows.map(r => r.checked_at))];
      const starts = rounds.map(at => Date.parse(at));
      const gaps = starts.slice(1).map((s, i) => s - starts[i]);
      const byInstance = (instance: string, since = 0) =>
        received.filter(r => r.instance === instance && r.at >= since).length /
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
      await expectTaskWorker(a.backend.server);
      await expectTaskWorker(b.backend.server);

      // Take-over: `a` stops, `b` runs the next rounds. The scheduler frees
      // the task's lock (current_run_ticket) only when the run holding it
      // ends (TaskWorker.tryReleaseTask). Stopping aborts the worker, but a
      // run already claimed goes on (the health task ignores the abort
      // signal) and its release would then fail on the closed pool: the lock
      // would stay until the janitor clears it once expired, after the
      // task's timeout of one minute (and the janitor does not run at all
      // under NODE_ENV=test). So `a` stops between two rounds: the last one
      // released and the next one at least STOP_MARGIN_MS ahead, its worker
      // waits in the task state poller, which the shutdown abort ends.
      const tIdle = Date.now();
      const msAhead = await waitFor(
        'idle moment between two rounds',
        IDLE_DEADLINE_MS,
        async () => {
          const [task] = await knex(TASKS_TABLE)
            .where('id', TASK_ID)
            .select(
              'current_run_ticket',
              knex.raw(
                'extract(epoch from next_run_start_at - now()) * 1000 as ms_ahead',
              ),
            );
          const ahead = Math.round(Number(task.ms_ahead));
          return task.current_run_ticket === null && ahead >= STOP_MARGIN_MS
            ? ahead
            : undefined;
        },
      );
      const tStop = Date.now();
      const idleWaitMs = tStop - tIdle;
      await a.backend.stop();
      // as afterAll does: stopping leaves the pool open (see there)
      await a.pool.destroy();
      const stopMs = Date.now() - tStop;

      // rounds that started from the stop on (checked_at and the request
      // times come from this process's clock)
      const isNew = (r: Row) => Date.parse(r.checked_at) >= tStop;
      const allRows = await waitFor(
        `${TAKEOVER_ROUNDS} rounds after a stopped`,
        TAKEOVER_DEADLINE_MS,
        async () => {
          const current = await readRows();
          const fresh = new Set(current.filter(isNew).map(r => r.checked_at));
          return fresh.size >= TAKEOVER_ROUNDS ? current : undefined;
        },
      );
      // again rows first, then requests
      const after = received.filter(r => r.at >= tStop);
      const takeoverS = (Date.now() - tStop) / 1000;

      const newRows = allRows.filter(isNew);
      const newRounds = [...new Set(newRows.map(r => r.checked_at))];
      const allRounds = [...new Set(allRows.map(r => r.checked_at))];
      const allStarts = allRounds.map(at => Date.parse(at));
      const allGaps = allStarts.slice(1).map((s, i) => s - allStarts[i]);
      const lastOld = Math.max(
        ...allStarts.filter(s => s < tStop),
        Number.NEGATIVE_INFINITY,
      );
      const handoverGap = Date.parse(newRounds[0]) - lastOld;
      // eslint-disable-next-line no-console
      console.log(
        `take-over: waited ${idleWaitMs} ms for an idle moment (next run ` +
          `${msAhead} ms ahead), stopping a took ${stopMs} ms; ` +
          `${newRounds.length} rounds stored in ${takeoverS.toFixed(1)} s ` +
          `after the stop, rounds probed since by a: ${byInstance(
            'a',
            tStop,
          )}, ` +
          `b: ${byInstance(
            'b',
            tStop,
          )}; gap over the stop ${handoverGap} ms, ` +
          `gaps overall ${Math.min(...allGaps)}..${Math.max(...allGaps)} ms; ` +
          `test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );

      // from the stop on only b probes: a's worker is gone, b's runs the task
      expect(after.filter(r => r.instance !== 'b')).toEqual([]);

      // at most one round per interval, and one row per integration per round
      expect(newRounds.length).toBeLessThanOrEqual(
        Math.floor(takeoverS / INTERVAL_S) + 1,
      );
      expect(newRows).toHaveLength(newRounds.length * INTEGRATIONS.length);
      for (const at of newRounds) {
        expect(
          newRows.filter(r => r.checked_at === at).map(r => r.integration_ref),
        ).toEqual(INTEGRATIONS.map(name => `integration:default/${name}`));
      }
      expect(after.length).toBeGreaterThanOrEqual(newRows.length);
      expect(after.length).toBeLessThanOrEqual(
        newRows.length + INTEGRATIONS.length,
      );

      // no two rounds overlap, neither across the stop nor after it
      expect(Math.min(...allGaps)).toBeGreaterThanOrEqual(PROBE_MS);

      // b still has a live worker for the global task
      await expectTaskWorker(b.backend.server);
    });
  },
);
