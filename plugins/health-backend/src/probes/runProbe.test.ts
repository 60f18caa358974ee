import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import { classify, runProbe, runProbes } from './runProbe';
import { readProbeSpec } from './types';

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

let server: http.Server;
let base: string;
let tcp: net.Server;
let tcpTarget: string;
let closedPort: number;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const delay = Number(url.searchParams.get('delay') ?? 0);
    if (delay) await sleep(delay);
    if (url.pathname === '/wrong') {
      res.writeHead(503).end('down');
      return;
    }
    if (url.pathname === '/created') {
      res.writeHead(201).end('made');
      return;
    }
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`alive ${req.method}`);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  tcp = net.createServer(socket => socket.end());
  await new Promise<void>(r => tcp.listen(0, '127.0.0.1', r));
  tcpTarget = `127.0.0.1:${(tcp.address() as AddressInfo).port}`;

  // a port that was just listened on and closed: refused
  const closed = net.createServer();
  await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise(r => closed.close(r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(r => server.close(r));
  await new Promise(r => tcp.close(r));
});

describe('runProbe', () => {
  it('http: a fast answer is ok', async () => {
    const r = await runProbe({ type: 'http', target: `${base}/health` });
    expect(r.status).toBe('ok');
    expect(r.latencyMs).toBeLessThan(500);
    expect(r.error).toBeUndefined();
  });

  it('http: a slow answer (500–1500 ms) is warn', async () => {
    const r = await runProbe({
      type: 'http',
      target: `${base}/health?delay=700`,
    });
    expect(r.status).toBe('warn');
    expect(r.latencyMs).toBeGreaterThanOrEqual(690);
    expect(r.latencyMs).toBeLessThan(1500);
  });

  it('http: too slow times out after the timeout, bad', async () => {
    const t0 = Date.now();
    const r = await runProbe({
      type: 'http',
      target: `${base}/health?delay=3000`,
      timeoutMs: 1500,
    });
    const wall = Date.now() - t0;
    expect(r).toEqual({
      status: 'bad',
      latencyMs: expect.any(Number),
      error: 'timeout after 1500 ms',
    });
    expect(wall).toBeGreaterThanOrEqual(1490);
    expect(wall).toBeLessThan(2_500); // aborted before the 3 s answer
  });

  it('http: an unexpected status is bad', async () => {
    const r = await runProbe({ type: 'http', target: `${base}/wrong` });
    expect(r.status).toBe('bad');
    expect(r.error).toBe('unexpected status 503');
    const r2 = await runProbe({
      type: 'http',
      target: `${base}/health`,
      expectStatus: 201,
    });
    expect(r2).toMatchObject({
      status: 'bad',
      error: 'unexpected status 200 (expected 201)',
    });
    const r3 = await runProbe({
      type: 'http',
      target: `${base}/created`,
      expectStatus: 201,
    });
    expect(r3.status).toBe('ok');
  });

  it('http: a redirect counts as up by default (not followed)', async () => {
    const r = await runProbe({ type: 'http', target: `${base}/redirect` });
    expect(r.status).toBe('ok');
  });

  it('http: method, path and body match, when given', async () => {
    expect(
      await runProbe({
        type: 'http',
        target: base,
        path: '/ping',
        method: 'POST',
        bodyMatch: 'alive POST',
      }),
    ).toMatchObject({ status: 'ok' });
    expect(
      await runProbe({ type: 'http', target: base, bodyMatch: 'dead' }),
    ).toMatchObject({ status: 'bad', error: 'body does not contain "dead"' });
  });

  it('http: a closed port is bad (refused)', async () => {
    const r = await runProbe({
      type: 'http',
      target: `http://127.0.0.1:${closedPort}/`,
    });
    expect(r.status).toBe('bad');
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('tcp: a listener is ok, a closed port bad', async () => {
    expect(await runProbe({ type: 'tcp', target: tcpTarget })).toMatchObject({
      status: 'ok',
    });
    const closed = await runProbe({
      type: 'tcp',
      target: `127.0.0.1:${closedPort}`,
    });
    expect(closed.status).toBe('bad');
    expect(closed.error).toMatch(/ECONNREFUSED/);
  });

  it('tcp: an unroutable address times out, bounded by the timeout', async () => {
    const t0 = Date.now();
    // TEST-NET-1, RFC 5737: never answers (or fails fast where unroutable)
    const r = await runProbe({
      type: 'tcp',
      target: '192.0.2.1:9',
      timeoutMs: 300,
    });
    expect(r.status).toBe('bad');
    expect(Date.now() - t0).toBeLessThan(2_000); // aborted, not left hanging
  });

  it('postgres: pings the given database', async () => {
    expect(
      await runProbe({ type: 'postgres' }, { pingDatabase: async () => {} }),
    ).toMatchObject({ status: 'ok' });
    expect(
      await runProbe(
        { type: 'postgres' },
        {
          pingDatabase: async () => {
            throw new Error('connection terminated');
          },
        },
      ),
    ).toMatchObject({ status: 'bad', error: 'connection terminated' });
  });

  it('bad on a malformed target, without throwing', async () => {
    expect(await runProbe({ type: 'tcp', target: 'no-port' })).toMatchObject({
      status: 'bad',
      error: expect.stringContaining('host:port'),
    });
    expect(await runProbe({ type: 'http', target: 'not a url' })).toMatchObject(
      { status: 'bad' },
    );
  });

  it('runs probes in parallel: a round takes about the longest timeout', async () => {
    const t0 = Date.now();
    const results = await runProbes([
      { type: 'http', target: `${base}/health?delay=5000`, timeoutMs: 800 },
      { type: 'http', target: `${base}/health?delay=5000`, timeoutMs: 800 },
      { type: 'http', target: `${base}/health` },
      { type: 'tcp', target: tcpTarget },
    ]);
    // sequential would take 1.6 s and more; loose bound for a loaded machine
    expect(Date.now() - t0).toBeLessThan(1_550);
    expect(results.map(r => r.status)).toEqual(['bad', 'bad', 'ok', 'ok']);
  });
});

describe('classify', () => {
  it('uses 500/1500 by default, overridable per probe', () => {
    expect(classify(500, {})).toBe('ok');
    expect(classify(501, {})).toBe('warn');
    expect(classify(1500, {})).toBe('warn');
    expect(classify(1501, {})).toBe('bad');
    expect(classify(150, { warnMs: 100, badMs: 200 })).toBe('warn');
    expect(classify(250, { warnMs: 100, badMs: 200 })).toBe('bad');
  });
});

describe('readProbeSpec', () => {
  it('reads every field the schema allows and ignores others', () => {
    expect(
      readProbeSpec({ type: 'tcp', target: 'redis:6379', timeoutMs: 1500 }),
    ).toEqual({ type: 'tcp', target: 'redis:6379', timeoutMs: 1500 });
    expect(
      readProbeSpec({
        type: 'http',
        target: 'http://x',
        method: 'head',
        path: '/ping',
        bodyMatch: 'ok',
        warnMs: 100,
        badMs: 300,
        colour: 'blue',
      }),
    ).toEqual({
      type: 'http',
      target: 'http://x',
      method: 'HEAD',
      path: '/ping',
      bodyMatch: 'ok',
      warnMs: 100,
      badMs: 300,
    });
    expect(readProbeSpec({ type: 'postgres' })).toEqual({ type: 'postgres' });
    expect(readProbeSpec({ type: 'icmp', target: 'x' })).toBeUndefined();
    expect(readProbeSpec({ type: 'tcp' })).toBeUndefined();
    expect(readProbeSpec(undefined)).toBeUndefined();
  });
});
