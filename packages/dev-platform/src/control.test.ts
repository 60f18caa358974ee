/*
 * The control endpoint and fault injection over real HTTP: down (connection
 * refused, then listening again on the same port), slowMs, tooManyRequests
 * and failNext in each product’s own 429/500 shape, failPaths (500 to some
 * paths only, until cleared), rateLimit with an honest
 * Retry-After, validation of fault bodies, /state, /calls and /reset. The
 * Stripe stand-in's clock and webhook routes are tested in stripe.test.ts.
 */
import net from 'node:net';
import { DEV_PLATFORM_CREDENTIALS, DevPlatform, startDevPlatform } from '.';
import { SystemFault } from './faults';
import { DevSystem } from './types';

const C = DEV_PLATFORM_CREDENTIALS;
const STALWART_BASIC = `Basic ${Buffer.from(
  `${C.stalwart.username}:${C.stalwart.password}`,
).toString('base64')}`;

let platform: DevPlatform;
let control: string;
let ocisToken: string;

beforeAll(async () => {
  platform = await startDevPlatform();
  control = platform.urls.control;
});

afterAll(() => platform.stop());

beforeEach(async () => {
  const reset = await fetch(`${control}/reset`, { method: 'POST' });
  if (reset.status !== 204) throw new Error(`POST /reset: ${reset.status}`);
  const res = await fetch(`${platform.urls.authentik}${C.ocis.tokenPath}`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: C.ocis.bootstrapRefreshToken,
      client_id: C.ocis.clientId,
    }),
  });
  ocisToken = (await res.json()).access_token;
});

/** An ordinary authenticated read of each product. */
const READS: Record<DevSystem, () => [string, RequestInit]> = {
  authentik: () => [
    `${platform.urls.authentik}/api/v3/core/groups/`,
    { headers: { authorization: `Bearer ${C.authentik.apiToken}` } },
  ],
  stalwart: () => [
    `${platform.urls.stalwart}/jmap/session`,
    { headers: { authorization: STALWART_BASIC } },
  ],
  ocis: () => [
    `${platform.urls.ocis}/graph/v1.0/drives`,
    { headers: { authorization: `Bearer ${ocisToken}` } },
  ],
  stripe: () => [
    `${platform.urls.stripe}/v1/customers`,
    { headers: { authorization: `Bearer ${C.stripe.secretKey}` } },
  ],
};

async function read(system: DevSystem) {
  const [url, init] = READS[system]();
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

function putFault(system: string, body: unknown) {
  return fetch(`${control}/faults/${system}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function getFaults() {
  return (await fetch(`${control}/faults`)).json();
}

/** A fresh TCP connection: 'open' or the error code (e.g. ECONNREFUSED). */
function connect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise(resolve => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code ?? String(err)),
    );
  });
}

/** The 429 each product answers. */
const TOO_MANY: Record<DevSystem, (r: any) => void> = {
  authentik: r => {
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body).toEqual({
      detail: expect.stringMatching(/^Request was throttled\./),
    });
  },
  stalwart: r => {
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body).toEqual({
      type: 'about:blank',
      status: 429,
      title: 'Too Many Requests',
      detail: expect.any(String),
    });
  },
  ocis: r => {
    expect(r.body).toEqual({
      error: {
        code: expect.any(String),
        message: expect.any(String),
        innererror: {
          date: expect.any(String),
          'request-id': expect.any(String),
        },
      },
    });
  },
  stripe: r => {
    // the SDK turns any 429 into StripeRateLimitError
    expect(r.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        doc_url: expect.any(String),
        message: expect.any(String),
      },
    });
  },
};

/** The 500 each product answers. */
const SERVER_ERROR: Record<DevSystem, (r: any) => void> = {
  authentik: r => expect(r.body).toEqual({ detail: expect.any(String) }),
  stalwart: r => {
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body).toMatchObject({ type: 'about:blank', status: 500 });
  },
  ocis: r =>
    expect(r.body).toMatchObject({
      error: { code: 'generalException', message: expect.any(String) },
    }),
  stripe: r =>
    expect(r.body).toEqual({
      error: { type: 'api_error', message: expect.any(String) },
    }),
};

const SYSTEMS: DevSystem[] = ['authentik', 'stalwart', 'ocis', 'stripe'];

describe('GET /faults', () => {
  it('shows no fault for any system at first', async () => {
    expect(await getFaults()).toEqual({
      authentik: {},
      stalwart: {},
      ocis: {},
      stripe: {},
    });
  });
});

describe('down', () => {
  it('refuses connections, then listens again on the same port once cleared', async () => {
    const url = platform.urls.stalwart;
    expect((await read('stalwart')).status).toBe(200);

    const res = await putFault('stalwart', { down: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ down: true });
    expect(await connect(url)).toBe('ECONNREFUSED');
    await expect(read('stalwart')).rejects.toThrow();
    // the others are unaffected
    expect((await read('authentik')).status).toBe(200);
    expect((await getFaults()).stalwart).toEqual({ down: true });

    const cleared = await fetch(`${control}/faults/stalwart`, {
      method: 'DELETE',
    });
    expect(cleared.status).toBe(204);
    expect(platform.urls.stalwart).toBe(url);
    expect(await connect(url)).toBe('open');
    expect((await read('stalwart')).status).toBe(200);
  });

  it('is lifted by a replacing fault without "down", and by DELETE /faults for all', async () => {
    for (const system of SYSTEMS) {
      expect((await putFault(system, { down: true })).status).toBe(200);
    }
    for (const system of SYSTEMS) {
      expect(await connect(platform.urls[system])).toBe('ECONNREFUSED');
    }
    expect((await putFault('ocis', { slowMs: 1 })).status).toBe(200);
    expect(await connect(platform.urls.ocis)).toBe('open');
    expect((await read('ocis')).status).toBe(200);

    const all = await fetch(`${control}/faults`, { method: 'DELETE' });
    expect(all.status).toBe(204);
    for (const system of SYSTEMS) {
      expect((await read(system)).status).toBe(200);
    }
    expect(await getFaults()).toEqual({
      authentik: {},
      stalwart: {},
      ocis: {},
      stripe: {},
    });
  });
});

describe('slowMs', () => {
  it('delays every answer of that system only, without serialising them', async () => {
    expect((await putFault('ocis', { slowMs: 400 })).status).toBe(200);
    const started = Date.now();
    const [a, b] = await Promise.all([read('ocis'), read('ocis')]);
    const elapsed = Date.now() - started;
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    // two concurrent slow answers take one delay, not two
    expect(elapsed).toBeLessThan(800);

    const fastStart = Date.now();
    expect((await read('authentik')).status).toBe(200);
    expect(Date.now() - fastStart).toBeLessThan(400);
  });
});

describe('tooManyRequests', () => {
  it.each(SYSTEMS)(
    '%s: 429 with Retry-After in the product’s shape to the next `count` calls, then normal',
    async system => {
      const res = await putFault(system, {
        tooManyRequests: { retryAfterSeconds: 7, count: 2 },
      });
      expect(res.status).toBe(200);
      // the fault after each call: the count consumed, then gone
      for (const after of [
        { tooManyRequests: { retryAfterSeconds: 7, count: 1 } },
        {},
      ]) {
        const r = await read(system);
        expect(r.status).toBe(429);
        expect(r.headers.get('retry-after')).toBe('7');
        TOO_MANY[system](r);
        expect((await getFaults())[system]).toEqual(after);
      }
      expect((await read(system)).status).toBe(200);
    },
  );

  it('without count answers 429 until cleared', async () => {
    await putFault('authentik', { tooManyRequests: { retryAfterSeconds: 2 } });
    for (let i = 0; i < 3; i++) {
      const r = await read('authentik');
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('2');
    }
    await fetch(`${control}/faults/authentik`, { method: 'DELETE' });
    expect((await read('authentik')).status).toBe(200);
  });
});

describe('failNext', () => {
  it.each(SYSTEMS)(
    '%s: N 500s in the product’s shape, then normal',
    async system => {
      expect((await putFault(system, { failNext: 2 })).status).toBe(200);
      for (const after of [{ failNext: 1 }, {}]) {
        const r = await read(system);
        expect(r.status).toBe(500);
        SERVER_ERROR[system](r);
        expect((await getFaults())[system]).toEqual(after);
      }
      expect((await read(system)).status).toBe(200);
    },
  );

  it('does not carry out a failed request', async () => {
    await putFault('authentik', { failNext: 1 });
    const res = await fetch(`${platform.urls.authentik}/api/v3/core/groups/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${C.authentik.apiToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'never' }),
    });
    expect(res.status).toBe(500);
    expect(platform.state().authentik.groups).toEqual([]);
  });
});

describe('failPaths', () => {
  /** An authenticated Stripe call (the stand-in answers 404 for unknown ids). */
  async function stripeCall(method: string, path: string) {
    const res = await fetch(`${platform.urls.stripe}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${C.stripe.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: method === 'POST' ? 'metadata[k]=v' : undefined,
    });
    return { status: res.status, body: await res.json() };
  }

  it('answers 500 to the paths under a prefix only, until cleared', async () => {
    const put = await putFault('stripe', {
      failPaths: ['/v1/subscriptions/sub_fail', '/v1/prices'],
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({
      failPaths: ['/v1/subscriptions/sub_fail', '/v1/prices'],
    });

    const failed = [
      await stripeCall('POST', '/v1/subscriptions/sub_fail'),
      await stripeCall('GET', '/v1/subscriptions/sub_fail?expand[]=customer'),
      await stripeCall('DELETE', '/v1/subscriptions/sub_fail'),
      await stripeCall('GET', '/v1/prices'),
      await stripeCall('GET', '/v1/prices/price_x'),
    ];
    for (const r of failed) {
      expect(r.status).toBe(500);
      SERVER_ERROR.stripe(r);
    }
    // other paths reach the stand-in (404 resource_missing: it looked)
    for (const path of [
      '/v1/subscriptions/sub_other',
      '/v1/subscription_items/si_x',
    ]) {
      const r = await stripeCall('GET', path);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('resource_missing');
    }
    expect((await stripeCall('GET', '/v1/subscriptions')).status).toBe(200);
    expect((await stripeCall('GET', '/v1/customers')).status).toBe(200);
    // the fault stays in force (no count), on that system only
    expect((await getFaults()).stripe).toEqual({
      failPaths: ['/v1/subscriptions/sub_fail', '/v1/prices'],
    });
    expect((await read('authentik')).status).toBe(200);
    // the call log shows the 500s
    expect(
      platform
        .calls('stripe')
        .filter(c => c.status === 500)
        .map(c => `${c.method} ${c.path}`),
    ).toEqual([
      'POST /v1/subscriptions/sub_fail',
      'GET /v1/subscriptions/sub_fail?expand[]=customer',
      'DELETE /v1/subscriptions/sub_fail',
      'GET /v1/prices',
      'GET /v1/prices/price_x',
    ]);

    expect(
      (await fetch(`${control}/faults/stripe`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await stripeCall('POST', '/v1/subscriptions/sub_fail')).body.error.code,
    ).toBe('resource_missing');
    expect((await stripeCall('GET', '/v1/prices')).status).toBe(200);
  });

  it('does not carry out a failed request, and lets failNext count other requests only', async () => {
    await putFault('authentik', {
      failPaths: ['/api/v3/core/groups/'],
      failNext: 1,
    });
    const create = await fetch(
      `${platform.urls.authentik}/api/v3/core/groups/`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${C.authentik.apiToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'never' }),
      },
    );
    expect(create.status).toBe(500);
    expect(platform.state().authentik.groups).toEqual([]);
    expect((await getFaults()).authentik).toEqual({
      failPaths: ['/api/v3/core/groups/'],
      failNext: 1,
    });
    const users = await fetch(`${platform.urls.authentik}/api/v3/core/users/`, {
      headers: { authorization: `Bearer ${C.authentik.apiToken}` },
    });
    expect(users.status).toBe(500);
    expect((await getFaults()).authentik).toEqual({
      failPaths: ['/api/v3/core/groups/'],
    });
  });

  it.each(['authentik', 'stalwart', 'ocis'] as const)(
    '%s: 500 in the product’s shape for a matching path',
    async system => {
      const path = new URL(READS[system]()[0]).pathname;
      await putFault(system, { failPaths: [path] });
      const r = await read(system);
      expect(r.status).toBe(500);
      SERVER_ERROR[system](r);
      await putFault(system, { failPaths: ['/elsewhere'] });
      expect((await read(system)).status).toBe(200);
    },
  );
});

describe('rateLimit', () => {
  it('admits N per second; the excess gets 429 with a Retry-After after which it is admitted', async () => {
    expect((await putFault('stalwart', { rateLimit: 3 })).status).toBe(200);
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => read('stalwart')),
    );
    const ok = burst.filter(r => r.status === 200);
    const limited = burst.filter(r => r.status === 429);
    expect(ok).toHaveLength(3);
    expect(limited).toHaveLength(3);
    let wait = 0;
    for (const r of limited) {
      TOO_MANY.stalwart(r);
      const after = Number(r.headers.get('retry-after'));
      expect(after).toBeGreaterThanOrEqual(1);
      wait = Math.max(wait, after);
    }
    // honest: waiting Retry-After seconds (the property under test; +5 ms
    // for the millisecond granularity of timers and clocks) is enough
    await new Promise(resolve => setTimeout(resolve, wait * 1000 + 5));
    expect((await read('stalwart')).status).toBe(200);
  });

  it('computes Retry-After from the sliding 1 s window (clock injected)', () => {
    const fault = new SystemFault();
    fault.set({ rateLimit: 2 });
    expect(fault.decide(10_000)).toBeUndefined();
    expect(fault.decide(10_600)).toBeUndefined();
    expect(fault.decide(10_700)).toEqual({
      kind: 'tooManyRequests',
      retryAfterSeconds: 1,
    });
    // still inside the window of the request at 10 000
    expect(fault.decide(10_999)?.kind).toBe('tooManyRequests');
    // a request Retry-After seconds after the refusal at 10 700 is admitted
    expect(fault.decide(11_700)).toBeUndefined();
    // refused requests do not count against the window
    fault.set({ rateLimit: 1 });
    expect(fault.decide(0)).toBeUndefined();
    for (let t = 100; t < 1000; t += 100) {
      expect(fault.decide(t)?.kind).toBe('tooManyRequests');
    }
    expect(fault.decide(1000)).toBeUndefined();
  });
});

describe('validation', () => {
  it.each([
    [{ slowMs: -1 }, /"slowMs"/],
    [{ slowMs: 1.5 }, /"slowMs"/],
    [{ down: 'yes' }, /"down"/],
    [{ failNext: 'x' }, /"failNext"/],
    [{ rateLimit: 0 }, /"rateLimit"/],
    [{ bogus: 1 }, /"bogus"/],
    [{ tooManyRequests: 5 }, /"tooManyRequests"/],
    [{ tooManyRequests: { count: 1 } }, /tooManyRequests\.retryAfterSeconds/],
    [
      { tooManyRequests: { retryAfterSeconds: 1, count: 0 } },
      /tooManyRequests\.count/,
    ],
    [
      { tooManyRequests: { retryAfterSeconds: 1, extra: 1 } },
      /tooManyRequests\.extra/,
    ],
    [{ failPaths: '/v1/prices' }, /"failPaths" must be an array/],
    [
      { failPaths: ['/ok', 'v1/prices'] },
      /"failPaths\[1\]".*starting with "\/"/,
    ],
    [{ failPaths: [42] }, /"failPaths\[0\]"/],
    [
      { failPaths: ['/v1/prices?active=true'] },
      /"failPaths\[0\]".*query string/,
    ],
    [[], /object/],
    ['{"down": tr', /JSON/],
  ])(
    'refuses %j with 400 naming the key, keeping the fault in force',
    async (body, message) => {
      await putFault('ocis', { failNext: 5 });
      const res = await putFault('ocis', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: expect.stringMatching(message),
      });
      expect((await getFaults()).ocis).toEqual({ failNext: 5 });
    },
  );

  it('answers 404 for an unknown system and an unknown route; 400 for an unknown system filter', async () => {
    const put = await putFault('exchange', { down: true });
    expect(put.status).toBe(404);
    expect(await put.json()).toEqual({
      error: expect.stringContaining('exchange'),
    });
    expect(
      (await fetch(`${control}/faults/exchange`, { method: 'DELETE' })).status,
    ).toBe(404);
    expect((await fetch(`${control}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${control}/calls?system=exchange`)).status).toBe(400);
  });

  it('throws from setFault for invalid values too', () => {
    expect(() =>
      platform.setFault('stalwart', { slowMs: -5 } as never),
    ).toThrow(/slowMs/);
  });
});

describe('state, calls and reset', () => {
  it('GET /state shows what each product holds, GET /calls what was asked and answered', async () => {
    await fetch(`${platform.urls.authentik}/api/v3/core/groups/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${C.authentik.apiToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'from-the-api' }),
    });
    await fetch(`${platform.urls.ocis}/graph/v1.0/drives`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ocisToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Space' }),
    });
    await putFault('authentik', { failNext: 1 });
    await read('authentik');
    await read('authentik');

    const state = await (await fetch(`${control}/state`)).json();
    expect(state.authentik.groups).toEqual([
      expect.objectContaining({ name: 'from-the-api' }),
    ]);
    expect(state.ocis.drives).toEqual([
      expect.objectContaining({ name: 'Space', driveType: 'project' }),
    ]);
    expect(state.stalwart.domains).toEqual([]);
    expect(state).toEqual(JSON.parse(JSON.stringify(platform.state())));

    const calls = await (
      await fetch(`${control}/calls?system=authentik`)
    ).json();
    expect(calls.map((c: any) => [c.method, c.path, c.status])).toEqual([
      ['POST', '/application/o/token/', 200],
      ['POST', '/api/v3/core/groups/', 201],
      ['GET', '/api/v3/core/groups/', 500],
      ['GET', '/api/v3/core/groups/', 200],
    ]);
    for (const c of calls) {
      expect(c.system).toBe('authentik');
      expect(Number.isNaN(Date.parse(c.at))).toBe(false);
    }
    const all = await (await fetch(`${control}/calls`)).json();
    expect(all.map((c: any) => c.system)).toEqual([
      'authentik',
      'authentik',
      'ocis',
      'authentik',
      'authentik',
    ]);
  });

  it('POST /reset empties state, calls and faults and brings a down system back', async () => {
    await fetch(`${platform.urls.authentik}/api/v3/core/groups/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${C.authentik.apiToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'to-be-reset' }),
    });
    await putFault('stalwart', { down: true });
    await putFault('ocis', { failNext: 3 });

    const res = await fetch(`${control}/reset`, { method: 'POST' });
    expect(res.status).toBe(204);
    const state = await (await fetch(`${control}/state`)).json();
    expect(state.authentik).toEqual({
      groups: [],
      users: [],
      sessions: [],
      tokens: { grants: 0, rejected: 0 },
    });
    expect(state.stalwart.domains).toEqual([]);
    expect(state.ocis.drives).toEqual([]);
    expect(await (await fetch(`${control}/calls`)).json()).toEqual([]);
    expect(await getFaults()).toEqual({
      authentik: {},
      stalwart: {},
      ocis: {},
      stripe: {},
    });
    expect(await connect(platform.urls.stalwart)).toBe('open');
    // reset also revokes the issued access tokens
    expect((await read('ocis')).status).toBe(401);
  });
});
