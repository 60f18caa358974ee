/*
 * One round of health probes, as the scheduler runs it (runProbes, the
 * production code): N HTTP probes with 1.5 s timeouts against a local server
 * that answers half of them at once and never answers the other half.
 * Target ([6/6]): 100 probes, half timing out, in <= 1.7 s wall.
 */
import http from 'http';
import { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { runProbes } from '../../plugins/health-backend/src/probes/runProbe';
import { ProbeSpec } from '../../plugins/health-backend/src/probes/types';
import { gitCommit, machineLine, table } from './report';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `--${name} needs a whole number, got ${process.argv[i + 1]}`,
    );
  }
  return value;
}

async function main() {
  if (process.argv.includes('--help')) {
    console.log(
      'usage: scripts/bench/health [--probes N (default 100)] [--rounds N (default 3)] [--timeout MS (default 1500)]',
    );
    return;
  }
  const probes = option('probes', 100);
  const rounds = option('rounds', 3);
  const timeoutMs = option('timeout', 1500);
  const bound = timeoutMs + 200;

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
}

main().catch(error => {
  console.error(error);
  process.exit(2);
});
