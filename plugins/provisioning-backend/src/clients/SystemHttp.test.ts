import http from 'node:http';
import { AddressInfo } from 'node:net';
import { retryAfterMs, SystemError, SystemHttp } from './SystemHttp';

/** A local HTTP server whose answers the test scripts; it records when each request arrived. */
async function server(
  handler: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    n: number,
  ) => void,
) {
  const arrivals: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const s = http.createServer((req, res) => {
    arrivals.push(Date.now());
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('finish', () => {
      inFlight -= 1;
    });
    handler(req, res, arrivals.length);
  });
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url,
    arrivals,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>(r => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

const limits = {
  timeoutMs: 2_000,
  concurrency: 4,
  maxRetryAfterWaitMs: 5_000,
};

describe('SystemHttp', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-07T10:00:00.000Z');
    expect(retryAfterMs('3', now)).toBe(now + 3000);
    expect(retryAfterMs('Mon, 07 Dec 2026 10:00:10 GMT', now)).toBe(
      now + 10_000,
    );
    expect(retryAfterMs('Mon, 07 Dec 2026 09:00:00 GMT', now)).toBe(now);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const s = await server((_req, res) => setTimeout(() => res.end('{}'), 50));
    try {
      const h = new SystemHttp('authentik', s.url, {
        ...limits,
        concurrency: 3,
      });
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          h.request({ call: `c${i}`, path: '/x' }),
        ),
      );
      expect(s.maxInFlight()).toBe(3);
      expect(h.calls).toBe(12);
    } finally {
      await s.close();
    }
  });

  it('starts requests 1/requestsPerSecond apart', async () => {
    const s = await server((_req, res) => res.end('{}'));
    try {
      const h = new SystemHttp('stalwart', s.url, {
        ...limits,
        concurrency: 10,
        requestsPerSecond: 50,
      });
      await Promise.all(
        Array.from({ length: 26 }, (_, i) =>
          h.request({ call: `c${i}`, path: '/x' }),
        ),
      );
      // 20 ms apart on average, never closer than half that (a late timer's
      // catch-up); at the server, less the few ms a new loopback connection
      // adds to one arrival and not another
      for (let i = 1; i < s.arrivals.length; i++) {
        expect(s.arrivals[i] - s.arrivals[i - 1]).toBeGreaterThanOrEqual(
          10 - 8,
        );
      }
      // no burst: any 11 arrivals span at least 10 intervals (less a catch-up)
      for (let i = 0; i + 10 < s.arrivals.length; i++) {
        expect(s.arrivals[i + 10] - s.arrivals[i]).toBeGreaterThanOrEqual(
          10 * 20 - 10 - 8,
        );
      }
      // and on schedule: 25 intervals, not more
      const span = s.arrivals[25] - s.arrivals[0];
      expect(span).toBeGreaterThanOrEqual(25 * 20 - 10 - 8);
      expect(span).toBeLessThan(25 * 20 + 400);
    } finally {
      await s.close();
    }
  });

  it('honours a 429 Retry-After: no request before it, for any caller, then the call succeeds', async () => {
    let refusedAt = 0;
    const s = await server((_req, res, n) => {
      if (n === 1) {
        refusedAt = Date.now();
        res.writeHead(429, {
          'retry-after': '1',
          'content-type': 'application/json',
        });
        res.end(
          '{"detail":"Request was throttled. Expected available in 1 second."}',
        );
        return;
      }
      res.end('{"ok":true}');
    });
    try {
      const h = new SystemHttp('authentik', s.url, {
        ...limits,
        concurrency: 1,
      });
      const first = h.request({ call: 'first', path: '/x' });
      const second = h.request({ call: 'second', path: '/y' });
      const [a, b] = await Promise.all([first, second]);
      expect(a.json()).toEqual({ ok: true });
      expect(b.json()).toEqual({ ok: true });
      expect(s.arrivals).toHaveLength(3);
      for (const t of s.arrivals.slice(1)) {
        expect(t - refusedAt).toBeGreaterThanOrEqual(990);
      }
    } finally {
      await s.close();
    }
  });

  it('fails with the retry time when Retry-After is beyond the wait it may spend', async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { 'retry-after': '120' });
      res.end('down for maintenance');
    });
    try {
      const h = new SystemHttp('ocis', s.url, limits);
      const before = Date.now();
      const error = await h
        .request({ call: 'list spaces', path: '/graph/v1.0/drives' })
        .catch(e => e);
      expect(error).toBeInstanceOf(SystemError);
      expect(error.message).toBe(
        'ocis: list spaces: HTTP 503: down for maintenance',
      );
      expect(error.status).toBe(503);
      expect(error.retryAt).toBeGreaterThanOrEqual(before + 119_000);
    } finally {
      await s.close();
    }
  });

  it('names the system, the call and the status; expected statuses are answers', async () => {
    const s = await server((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 500, {
        'content-type': 'application/json',
      });
      res.end('{"detail": "boom"}');
    });
    try {
      const h = new SystemHttp('authentik', s.url, limits);
      await expect(
        h.request({ call: 'create group acme', path: '/x' }),
      ).rejects.toThrow(
        'authentik: create group acme: HTTP 500: {"detail": "boom"}',
      );
      const res = await h.request({
        call: 'read group',
        path: '/missing',
        expect: [404],
      });
      expect(res.status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('times out a request that does not answer, and says when a system cannot be reached', async () => {
    const s = await server(() => undefined);
    try {
      const h = new SystemHttp('stalwart', s.url, {
        ...limits,
        timeoutMs: 200,
      });
      await expect(
        h.request({ call: 'read domain', path: '/x' }),
      ).rejects.toThrow('stalwart: read domain: no answer within 200 ms');
    } finally {
      await s.close();
    }
    const gone = new SystemHttp('stalwart', s.url, limits);
    await expect(
      gone.request({ call: 'read domain', path: '/x' }),
    ).rejects.toThrow(
      `stalwart: read domain: cannot reach ${s.url} (ECONNREFUSED)`,
    );
  });
});
