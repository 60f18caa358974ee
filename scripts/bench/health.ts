/*
 * One round of health probes, as the scheduler runs it (runProbes, the
 * production code): N HTTP probes with 1.5 s timeouts against a local server
 * that answers half of them at once and never answers the other half.
 * Target ([6/6]): 100 probes, half timing out, in <= 1.7 s wall.
 *
 * Then the history an Infrastructure card and the Health tab read
 * (HealthStore.history, the production code) over 30 days of samples at the
 * default 30 s interval (86,400 rows), on SQLite and, with --pg URL, on
 * PostgreSQL. No target is given for it; it is printed to keep it in sight.
 */
import { DatabaseService } from '@backstage/backend-plugin-api';
import http from 'http';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import {
  HealthStore,
  ProbeSpec,
  runProbes,
} from '@internal/plugin-health-backend';
import { gitCommit, intOption, machineLine, table } from './report';

async function main() {
  if (process.argv.includes('--help')) {
    console.log(
      'usage: scripts/bench/health [--probes N (default 100)] [--rounds N (default 3)] [--timeout MS (default 1500)]\n' +
        '                            [--days N (default 30)] [--pg postgresql://user@host:port/database]',
    );
    return;
  }
  const probes = intOption('probes', 100);
  const rounds = intOption('rounds', 3);
  const timeoutMs = intOption('timeout', 1500);
  const bound = timeoutMs + 200;
  const days = intOption('days', 30);
  const pgIndex = process.argv.indexOf('--pg');
  const pg = pgIndex >= 0 ? process.argv[pgIndex + 1] : undefined;

  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return; // never answers
    res.end('ok');
  });
  server.maxConnections = 10_000;
  await new Promise<void>(r => server.listen(0, '127.0.0.1', 1024, r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  console.log('Dezky health probe benchmark');
  console.log(`machine: ${machineLine()}`);
  console.log(`commit:  ${gitCommit()}`);
  console.log(
    `round:   ${probes} HTTP probes, ${timeoutMs} ms timeout, every second one never answered\n`,
  );

  const rows = [['round', 'probes', 'ok', 'bad', 'wall ms']];
  let worst = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      const specs: ProbeSpec[] = Array.from({ length: probes }, (_, i) => ({
        type: 'http',
        target: `${base}/${i % 2 ? 'hang' : 'health'}?round=${round}&n=${i}`,
        timeoutMs,
      }));
      const t0 = performance.now();
      const results = await runProbes(specs);
      const wall = Math.round(performance.now() - t0);
      worst = Math.max(worst, wall);
      rows.push([
        String(round),
        String(probes),
        String(results.filter(r => r.status === 'ok').length),
        String(results.filter(r => r.status === 'bad').length),
        String(wall),
      ]);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  console.log(table(rows));
  console.log(
    `\nslowest round = ${worst} ms (target <= ${bound} ms): ${
      worst <= bound ? 'PASS' : 'FAIL'
    }`,
  );

  console.log(
    `\nhistory: one integration, ${days} days of samples every 30 s (2 % bad, in runs of 10)\n`,
  );
  const history = [['database', 'samples', 'history ms (median of 5)', 'max']];
  const databases: [string, Knex.Config][] = [
    [
      'SQLite',
      {
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      },
    ],
  ];
  if (pg) databases.push(['PostgreSQL', { client: 'pg', connection: pg }]);
  for (const [name, config] of databases) {
    history.push([name, ...(await timeHistory(config, days))]);
  }
  console.log(table(history));
}

/** Seeds `days` of samples and times HealthStore.history five times. */
async function timeHistory(config: Knex.Config, days: number) {
  const knex = knexFactory(config);
  const ref = `integration:default/bench-${process.pid}`;
  try {
    const database = {
      getClient: async () => knex,
    } as unknown as DatabaseService;
    const store = await HealthStore.create({ database });
    const now = Date.now();
    const count = Math.floor((days * 86_400) / 30);
    for (let start = 0; start < count; start += 400) {
      await store.insert(
        Array.from({ length: Math.min(400, count - start) }, (_, k) => {
          const i = count - 1 - (start + k); // oldest first
          const bad = i % 500 < 10;
          return {
            integration: ref,
            checkedAt: new Date(now - i * 30_000).toISOString(),
            status: bad ? ('bad' as const) : ('ok' as const),
            latencyMs: bad ? 1500 : 20 + (i % 200),
            ...(bad ? { error: 'timeout after 1500 ms' } : {}),
          };
        }),
      );
    }
    const times: number[] = [];
    for (let n = 0; n < 5; n++) {
      const t0 = performance.now();
      await store.history(ref, now, { window: '24h', points: 60 });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return [
      String(count),
      String(Math.round(times[2])),
      String(Math.round(times[4])),
    ];
  } finally {
    await knex('health_samples').where('integration_ref', ref).delete();
    await knex('health_incidents').where('integration_ref', ref).delete();
    await knex.destroy();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(2);
});
