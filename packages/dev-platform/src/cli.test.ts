/*
 * scripts/dev-platform, the process scripts/start runs: it prints one
 * parseable line per endpoint and the development credentials, serves the
 * stand-ins and the control endpoint, stops cleanly on SIGTERM/SIGINT, and
 * refuses production, bad variables and taken ports with a clear message.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { DEV_PLATFORM_CREDENTIALS } from './types';

jest.setTimeout(30_000);

const script = path.resolve(__dirname, '../../../scripts/dev-platform');

const ALL_FREE = {
  DEV_PLATFORM_PORT_AUTHENTIK: '0',
  DEV_PLATFORM_PORT_STALWART: '0',
  DEV_PLATFORM_PORT_OCIS: '0',
  DEV_PLATFORM_PORT_STRIPE: '0',
  DEV_PLATFORM_PORT_CONTROL: '0',
  DEV_PLATFORM_PORT_DNS: '0',
};

/** The environment of the test run without DEV_PLATFORM_* settings, plus these. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('DEV_PLATFORM_')),
  );
  return { ...base, NODE_ENV: 'development', ...extra };
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

function run(extraEnv: Record<string, string>, args: string[] = []): Run {
  const child = spawn(script, args, {
    env: env(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', d => {
    stdout += String(d);
  });
  child.stderr!.on('data', d => {
    stderr += String(d);
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>(resolve =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the printed URLs once "dev-platform ready" is printed; rejects if it exits first. */
function ready(r: Run): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!/^dev-platform ready\b/m.test(r.stdout())) return;
      r.child.stdout!.off('data', check);
      const urls: Record<string, string> = {};
      for (const m of r
        .stdout()
        .matchAll(
          /^dev-platform (authentik|stalwart|ocis|stripe|control|dns) ((?:http:\/\/)?127\.0\.0\.1:\d+)$/gm,
        )) {
        urls[m[1]] = m[2];
      }
      resolve(urls);
    };
    r.child.stdout!.on('data', check);
    r.exited.then(({ code }) =>
      reject(new Error(`exited ${code} before ready: ${r.stderr()}`)),
    );
  });
}

function connect(url: string): Promise<string> {
  // dns is printed as <host>:<port> (its TCP listener)
  const { hostname, port } = new URL(
    url.includes('://') ? url : `tcp://${url}`,
  );
  return new Promise(resolve => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code ?? String(e)),
    );
  });
}

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
});

describe('scripts/dev-platform', () => {
  it('prints its URLs and credentials, serves them, and exits 0 on SIGTERM', async () => {
    const r = run({ ...ALL_FREE, DEV_PLATFORM_LATENCY_MS: '250' });
    const urls = await ready(r);
    expect(Object.keys(urls).sort()).toEqual([
      'authentik',
      'control',
      'dns',
      'ocis',
      'stalwart',
      'stripe',
    ]);
    const out = r.stdout();
    for (const secret of [
      DEV_PLATFORM_CREDENTIALS.authentik.apiToken,
      DEV_PLATFORM_CREDENTIALS.stalwart.password,
      DEV_PLATFORM_CREDENTIALS.stalwart.apiKey,
      DEV_PLATFORM_CREDENTIALS.ocis.bootstrapRefreshToken,
      DEV_PLATFORM_CREDENTIALS.stripe.secretKey,
      DEV_PLATFORM_CREDENTIALS.stripe.webhookSecret,
    ]) {
      expect(out).toContain(secret);
    }

    const faults = await fetch(`${urls.control}/faults`);
    expect(faults.status).toBe(200);
    expect(await faults.json()).toEqual({
      authentik: {},
      stalwart: {},
      ocis: {},
      stripe: {},
    });

    // DEV_PLATFORM_LATENCY_MS delays every answer of the stand-ins
    const started = Date.now();
    const groups = await fetch(`${urls.authentik}/api/v3/core/groups/`, {
      headers: {
        authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.authentik.apiToken}`,
      },
    });
    expect(groups.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    // the Stripe stand-in answers with the printed secret key
    const customers = await fetch(`${urls.stripe}/v1/customers`, {
      headers: {
        authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.stripe.secretKey}`,
      },
    });
    expect(customers.status).toBe(200);
    expect(await customers.json()).toMatchObject({ object: 'list', data: [] });

    r.child.kill('SIGTERM');
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.stdout()).toMatch(/^dev-platform stopped/m);
    for (const url of Object.values(urls)) {
      expect(await connect(url)).toBe('ECONNREFUSED');
    }
  });

  it('exits 0 on SIGINT too', async () => {
    const r = run(ALL_FREE);
    await ready(r);
    r.child.kill('SIGINT');
    expect(await r.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to start with NODE_ENV=production (exit 1)', async () => {
    const r = run({ ...ALL_FREE, NODE_ENV: 'production' });
    expect((await r.exited).code).toBe(1);
    expect(r.stderr()).toMatch(/NODE_ENV=production/);
    expect(r.stdout()).not.toMatch(/^dev-platform \w+ http/m);
  });

  it.each([
    ['DEV_PLATFORM_PORT_OCIS', 'abc'],
    ['DEV_PLATFORM_PORT_STRIPE', '65536'],
    ['DEV_PLATFORM_PORT_CONTROL', '70000'],
    ['DEV_PLATFORM_PORT_STALWART', '-1'],
    ['DEV_PLATFORM_LATENCY_MS', '1.5'],
  ])('refuses %s=%s with a message naming it (exit 2)', async (name, value) => {
    const r = run({ ...ALL_FREE, [name]: value });
    expect((await r.exited).code).toBe(2);
    expect(r.stderr()).toContain(name);
    expect(r.stdout()).toBe('');
  });

  it('refuses a bad webhook URL or retry delay, naming the variable or flag (exit 2)', async () => {
    for (const [extra, args, name] of [
      [
        { DEV_PLATFORM_STRIPE_WEBHOOK_URL: 'localhost:7007/x' },
        [],
        'DEV_PLATFORM_STRIPE_WEBHOOK_URL',
      ],
      [{}, ['--stripe-webhook-url', 'ftp://x/'], '--stripe-webhook-url'],
      [{}, ['--stripe-webhook-url'], '--stripe-webhook-url'],
      [{}, ['--bogus'], '--bogus'],
      [
        {
          DEV_PLATFORM_STRIPE_WEBHOOK_URL: 'http://127.0.0.1:1/',
          DEV_PLATFORM_STRIPE_WEBHOOK_RETRY_MS: '0',
        },
        [],
        'DEV_PLATFORM_STRIPE_WEBHOOK_RETRY_MS',
      ],
    ] as Array<[Record<string, string>, string[], string]>) {
      const r = run({ ...ALL_FREE, ...extra }, args);
      expect((await r.exited).code).toBe(2);
      expect(r.stderr()).toContain(name);
      expect(r.stdout()).toBe('');
    }
  });

  describe('Stripe webhook endpoint from the start', () => {
    /** A receiver answering 503 to its first `failFirst` requests, then 200; `got(n)`: n answered 200. */
    async function receiver(failFirst: number) {
      const bodies: Array<{ body: string; signature: string; status: number }> =
        [];
      const waiters: Array<[number, () => void]> = [];
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', c => chunks.push(c));
        req.on('end', () => {
          const status = bodies.length < failFirst ? 503 : 200;
          bodies.push({
            body: Buffer.concat(chunks).toString('utf8'),
            signature: String(req.headers['stripe-signature']),
            status,
          });
          res.statusCode = status;
          res.end();
          const ok = bodies.filter(b => b.status === 200).length;
          for (const w of waiters.filter(([n]) => ok >= n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w[1]();
          }
        });
      });
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      const url = `http://127.0.0.1:${
        (server.address() as net.AddressInfo).port
      }/api/billing/stripe/webhook`;
      const got = (n: number) =>
        new Promise<void>(resolve => {
          if (bodies.filter(b => b.status === 200).length >= n) resolve();
          else waiters.push([n, resolve]);
        });
      return { server, url, bodies, got };
    }

    const createCustomer = (stripeUrl: string) =>
      fetch(`${stripeUrl}/v1/customers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.stripe.secretKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'name=Acme',
      });

    it('DEV_PLATFORM_STRIPE_WEBHOOK_URL: events are POSTed there, signed, and retried until they get through', async () => {
      const rx = await receiver(2);
      try {
        const r = run({
          ...ALL_FREE,
          DEV_PLATFORM_STRIPE_WEBHOOK_URL: rx.url,
          DEV_PLATFORM_STRIPE_WEBHOOK_RETRY_MS: '20',
        });
        const urls = await ready(r);
        expect(r.stdout()).toContain(`webhooks: POSTed to ${rx.url}`);
        const webhook = await (
          await fetch(`${urls.control}/stripe/webhook`)
        ).json();
        expect(webhook).toEqual({
          url: rx.url,
          secret: DEV_PLATFORM_CREDENTIALS.stripe.webhookSecret,
          autoDeliver: true,
          retryAfterMs: 20,
        });

        expect((await createCustomer(urls.stripe)).status).toBe(200);
        // refused twice (503), then delivered by a retry round
        await rx.got(1);
        expect(rx.bodies.map(b => b.status)).toEqual([503, 503, 200]);
        const { body, signature } = rx.bodies[2];
        expect(JSON.parse(body).type).toBe('customer.created');
        const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
        expect(
          createHmac('sha256', DEV_PLATFORM_CREDENTIALS.stripe.webhookSecret)
            .update(`${t}.${body}`)
            .digest('hex'),
        ).toBe(v1);
        r.child.kill('SIGTERM');
        expect((await r.exited).code).toBe(0);
      } finally {
        await new Promise(resolve => rx.server.close(resolve));
      }
    });

    it('--stripe-webhook-url wins over the variable, and the endpoint survives POST /reset', async () => {
      const rx = await receiver(0);
      try {
        const r = run(
          {
            ...ALL_FREE,
            DEV_PLATFORM_STRIPE_WEBHOOK_URL: 'http://127.0.0.1:9/elsewhere',
          },
          ['--stripe-webhook-url', rx.url],
        );
        const urls = await ready(r);
        expect(
          (await fetch(`${urls.control}/reset`, { method: 'POST' })).status,
        ).toBe(204);
        const webhook = await (
          await fetch(`${urls.control}/stripe/webhook`)
        ).json();
        expect(webhook).toMatchObject({ url: rx.url, retryAfterMs: 2000 });
        await createCustomer(urls.stripe);
        await rx.got(1);
        expect(JSON.parse(rx.bodies[0].body).type).toBe('customer.created');
        r.child.kill('SIGTERM');
        expect((await r.exited).code).toBe(0);
      } finally {
        await new Promise(resolve => rx.server.close(resolve));
      }
    });

    it('has no endpoint without the flag or variable', async () => {
      const r = run(ALL_FREE);
      const urls = await ready(r);
      expect(
        await (await fetch(`${urls.control}/stripe/webhook`)).json(),
      ).toBeNull();
      expect(r.stdout()).toMatch(/webhooks: none yet/);
      r.child.kill('SIGTERM');
      await r.exited;
    });
  });

  it('refuses two endpoints on one port (exit 2)', async () => {
    const r = run({
      ...ALL_FREE,
      DEV_PLATFORM_PORT_OCIS: '7999',
      DEV_PLATFORM_PORT_CONTROL: '7999',
    });
    expect((await r.exited).code).toBe(2);
    expect(r.stderr()).toMatch(
      /DEV_PLATFORM_PORT_CONTROL.*DEV_PLATFORM_PORT_OCIS|DEV_PLATFORM_PORT_OCIS.*DEV_PLATFORM_PORT_CONTROL/,
    );
  });

  it('names the port and its variable in one line when the port is taken (exit 1)', async () => {
    const blocker = net.createServer();
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run({ ...ALL_FREE, DEV_PLATFORM_PORT_STALWART: String(port) });
      expect((await r.exited).code).toBe(1);
      const lines = r.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(String(port));
      expect(lines[0]).toContain('DEV_PLATFORM_PORT_STALWART');
      expect(lines[0]).toMatch(/in use/);
    } finally {
      await new Promise(resolve => blocker.close(resolve));
    }
  });
});
