/*
 * The DNS stand-in: records published through the control endpoint are
 * answered over UDP and TCP to node's resolver (as the portal's domain checks
 * ask), NXDOMAIN before and after, reset empties it.
 */
import { promises as dns } from 'node:dns';
import net from 'node:net';
import { DnsStandIn } from './dns';
import { startDevPlatform } from './platform';
import { DevPlatform } from './types';

let platform: DevPlatform;
let resolver: dns.Resolver;

beforeAll(async () => {
  platform = await startDevPlatform();
  resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([platform.urls.dns]);
});

afterAll(async () => {
  await platform.stop();
});

beforeEach(() => platform.reset());

const control = (method: string, path: string, body?: unknown) =>
  fetch(`${platform.urls.control}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: NodeJS.ErrnoException) => e.code,
  );

describe('DNS stand-in', () => {
  it('listens on 127.0.0.1 and answers NXDOMAIN while it holds nothing', async () => {
    expect(platform.urls.dns).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await code(resolver.resolveTxt('_dezky.example.com'))).toBe(
      'ENOTFOUND',
    );
    expect(await code(resolver.resolveMx('example.com'))).toBe('ENOTFOUND');
    expect(platform.state().dns).toEqual({ records: [] });
  });

  it('publishes TXT and MX through PUT /dns/records, answers them, and lists them in /state', async () => {
    const put = await control('PUT', '/dns/records', {
      name: '_dezky.Example.com.',
      type: 'TXT',
      value: 'dezky-verification=abc123',
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({
      record: {
        name: '_dezky.example.com',
        type: 'TXT',
        value: 'dezky-verification=abc123',
      },
    });
    // the same record again changes nothing
    expect(
      (
        await control('PUT', '/dns/records', {
          name: '_dezky.example.com',
          type: 'TXT',
          value: 'dezky-verification=abc123',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await control('PUT', '/dns/records', {
          name: 'example.com',
          type: 'MX',
          value: '10 mx.mail.example.',
        })
      ).status,
    ).toBe(201);

    expect(await resolver.resolveTxt('_dezky.example.com')).toEqual([
      ['dezky-verification=abc123'],
    ]);
    expect(await resolver.resolveMx('example.com')).toEqual([
      { priority: 10, exchange: 'mx.mail.example' },
    ]);
    // a name that holds only other types: NODATA, not NXDOMAIN
    expect(await code(resolver.resolveTxt('example.com'))).toBe('ENODATA');

    const state = await (await control('GET', '/state')).json();
    expect(state.dns.records).toEqual([
      {
        name: '_dezky.example.com',
        type: 'TXT',
        value: 'dezky-verification=abc123',
      },
      { name: 'example.com', type: 'MX', value: '10 mx.mail.example.' },
    ]);
  });

  it('takes a zone-file line as the Domains tab shows it, long TXT values over TCP', async () => {
    const key = `v=DKIM1; k=rsa; h=sha256; p=${'A'.repeat(392)}`;
    const quoted = `"${key.slice(0, 255)}" "${key.slice(255)}"`;
    const put = await control('PUT', '/dns/records', {
      record: `rsa._domainkey.example.com. IN TXT ${quoted}`,
    });
    expect(put.status).toBe(201);
    expect(
      (
        await control('PUT', '/dns/records', {
          record: 'example.com. IN TXT "v=spf1 include:\\"x\\" -all"',
        })
      ).status,
    ).toBe(201);
    // the answer is over 512 bytes: node asks again over TCP
    const answer = await resolver.resolveTxt('rsa._domainkey.example.com');
    expect(answer.map(chunks => chunks.join(''))).toEqual([key]);
    expect(await resolver.resolveTxt('example.com')).toEqual([
      ['v=spf1 include:"x" -all'],
    ]);
  });

  it('refuses bad records with 400 and holds nothing', async () => {
    for (const body of [
      undefined,
      [],
      { name: 'example.com', type: 'A', value: '192.0.2.1' },
      { name: 'bad name', type: 'TXT', value: 'x' },
      { name: 'example.com', type: 'TXT', value: '' },
      { name: 'example.com', type: 'MX', value: 'mx.example.com' },
      { name: 'example.com', type: 'MX', value: '70000 mx.example.com' },
      { record: 'not a zone line' },
      { record: 'example.com. IN TXT "unterminated' },
    ]) {
      const res = await control('PUT', '/dns/records', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((await res.json()).error).toEqual(expect.any(String));
    }
    expect(platform.state().dns.records).toEqual([]);
  });

  it('removes records through DELETE /dns/records, and reset empties it', async () => {
    for (const value of ['one', 'two']) {
      await control('PUT', '/dns/records', {
        name: 'a.example.com',
        type: 'TXT',
        value,
      });
    }
    await control('PUT', '/dns/records', {
      name: 'b.example.com',
      type: 'TXT',
      value: 'three',
    });
    const one = await control('DELETE', '/dns/records', {
      name: 'a.example.com',
      type: 'TXT',
      value: 'one',
    });
    expect(await one.json()).toEqual({ removed: 1 });
    expect(await resolver.resolveTxt('a.example.com')).toEqual([['two']]);
    const atName = await control('DELETE', '/dns/records', {
      name: 'a.example.com',
    });
    expect(await atName.json()).toEqual({ removed: 1 });
    expect(await code(resolver.resolveTxt('a.example.com'))).toBe('ENOTFOUND');
    expect(
      (await control('DELETE', '/dns/records', { type: 'TXT' })).status,
    ).toBe(400);
    const all = await control('DELETE', '/dns/records');
    expect(await all.json()).toEqual({ removed: 1 });
    expect(platform.dns.records()).toEqual([]);

    platform.dns.publish({ name: 'c.example.com', type: 'TXT', value: 'x' });
    expect(await (await control('POST', '/reset')).status).toBe(204);
    expect(await code(resolver.resolveTxt('c.example.com'))).toBe('ENOTFOUND');
  });
});

describe('DnsStandIn.start', () => {
  it('rejects (never hangs) when its TCP port is taken, and takes another free pair when any port will do', async () => {
    const taken = net.createServer();
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const fixed = new DnsStandIn();
      await expect(fixed.start(port, '127.0.0.1')).rejects.toMatchObject({
        code: 'EADDRINUSE',
        port,
      });
      const any = new DnsStandIn();
      const bound = await any.start(0, '127.0.0.1');
      expect(bound).not.toBe(port);
      await any.stop();
    } finally {
      await new Promise<void>(resolve => taken.close(() => resolve()));
    }
  });
});
