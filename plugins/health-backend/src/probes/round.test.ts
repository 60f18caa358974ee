import http from 'node:http';
import { AddressInfo } from 'node:net';
import { runProbes } from './runProbe';
import { ProbeSpec } from './types';

jest.setTimeout(30_000);

/**
 * A round runs its probes in parallel, each bounded by its own timeout: 100
 * probes of which half time out take about one timeout, not fifty. (The
 * measured figure against the 1.7 s bound is scripts/bench/health.)
 */
describe('a round of 100 probes', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return; // never answers
      res.end('ok');
    });
    server.maxConnections = 1000;
    await new Promise<void>(r => server.listen(0, '127.0.0.1', 511, r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  it('runs the probes in parallel: half time out, the round takes about one timeout', async () => {
    const specs: ProbeSpec[] = Array.from({ length: 100 }, (_, i) => ({
      type: 'http',
      target: `${base}/${i % 2 ? 'hang' : 'health'}?n=${i}`,
      timeoutMs: 1500,
    }));
    const t0 = performance.now();
    const results = await runProbes(specs);
    const wallMs = Math.round(performance.now() - t0);
    expect(results.filter(r => r.status === 'bad')).toHaveLength(50);
    expect(
      results.filter(r => r.error === 'timeout after 1500 ms'),
    ).toHaveLength(50);
    expect(results.filter(r => r.status === 'ok')).toHaveLength(50);
    // sequential would be 50 × 1.5 s; parallel is one timeout plus overhead
    expect(wallMs).toBeLessThan(5_000);
  });
});
