/*
 * Contract tests of the Stalwart 0.16 stand-in over real HTTP: the JMAP
 * management API as the digest (/work/shared/design/apis/stalwart.md) states
 * it — session and auth, request-level problem+json errors, method errors,
 * x:Domain set/get with primaryKeyViolation, automatic DKIM keys that appear
 * after the create response and show in dnsZoneFile, objectIsLinked, and
 * account passwords and freezing.
 */
import { DEV_PLATFORM_CREDENTIALS, DevPlatform, startDevPlatform } from '.';

const CREDS = DEV_PLATFORM_CREDENTIALS.stalwart;
const BASIC = `Basic ${Buffer.from(
  `${CREDS.username}:${CREDS.password}`,
).toString('base64')}`;
const USING = ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'];
const DKIM_DELAY_MS = 400;

let platform: DevPlatform;
let base: string;

beforeAll(async () => {
  platform = await startDevPlatform({ dkimDelayMs: DKIM_DELAY_MS });
  base = platform.urls.stalwart;
});

afterAll(() => platform.stop());

beforeEach(() => platform.reset());

type Call = [string, Record<string, unknown>, string];

async function jmapRaw(
  methodCalls: Call[],
  options: {
    authorization?: string;
    contentType?: string;
    using?: string[];
  } = {},
) {
  const res = await fetch(`${base}/jmap`, {
    method: 'POST',
    headers: {
      authorization: options.authorization ?? BASIC,
      'content-type': options.contentType ?? 'application/json',
    },
    body: JSON.stringify({ using: options.using ?? USING, methodCalls }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** The method responses of a successful request. */
async function jmap(methodCalls: Call[], authorization?: string) {
  const res = await jmapRaw(methodCalls, { authorization });
  expect(res.status).toBe(200);
  return res.body.methodResponses as Call[];
}

async function createDomain(name: string, extra: object = {}) {
  const [[, result]] = await jmap([
    ['x:Domain/set', { create: { d: { name, ...extra } } }, 'c1'],
  ]);
  const created = result.created as Record<string, { id: string }>;
  expect(created?.d?.id).toEqual(expect.any(String));
  return created.d.id;
}

async function dkimIds(domainId: string): Promise<string[]> {
  const [[, result]] = await jmap([
    ['x:DkimSignature/query', { filter: { domainId } }, 'q'],
  ]);
  return result.ids as string[];
}

/** Polls (as Stalwart's own test does) until the domain has n DKIM signatures. */
async function waitForDkim(domainId: string, n: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await dkimIds(domainId);
    if (ids.length >= n) return ids;
    if (Date.now() > deadline) {
      throw new Error(
        `no ${n} DKIM signatures for ${domainId} in ${timeoutMs} ms`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

async function zoneFile(domainId: string): Promise<string> {
  const [[, result]] = await jmap([
    [
      'x:Domain/get',
      { ids: [domainId], properties: ['name', 'dnsZoneFile'] },
      'g',
    ],
  ]);
  const list = result.list as Array<{ dnsZoneFile: string }>;
  return list[0].dnsZoneFile;
}

/** TXT records of a BIND zone file by owner name; a value over 255 bytes is a ( "chunk" "chunk" ) list. */
function txtRecords(zone: string): Map<string, string> {
  const records = new Map<string, string>();
  const re =
    /^(\S+) IN TXT (?:"((?:[^"\\]|\\.)*)"|\(\n((?:\s+"(?:[^"\\]|\\.)*"\n)+)\))$/gm;
  for (const m of zone.matchAll(re)) {
    const value =
      m[2] ??
      [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(c => c[1]).join('');
    records.set(m[1], value);
  }
  return records;
}

const STRONG = 'Correct-Horse-Battery-Staple-42';

describe('session and authentication', () => {
  it('redirects /.well-known/jmap to /jmap/session (307)', async () => {
    const res = await fetch(`${base}/.well-known/jmap`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/jmap/session');
  });

  it.each([
    ['basic auth', BASIC],
    ['the Bearer API key', `Bearer ${CREDS.apiKey}`],
  ])('serves the session with %s', async (_what, authorization) => {
    const res = await fetch(`${base}/jmap/session`, {
      headers: { authorization },
    });
    expect(res.status).toBe(200);
    const session = await res.json();
    expect(session.capabilities).toHaveProperty(['urn:stalwart:jmap']);
    expect(session.apiUrl).toMatch(/\/jmap\/$/);
    expect(new URL(session.apiUrl).pathname).toBe('/jmap/');
    expect(session.username).toBe(CREDS.username);
    expect(Object.keys(session.accounts)).toHaveLength(1);
    expect(typeof session.state).toBe('string');
  });

  it.each([
    [
      'a wrong password',
      `Basic ${Buffer.from(`${CREDS.username}:wrong`).toString('base64')}`,
    ],
    ['an unknown API key', 'Bearer API_bm9wZQ'],
    ['another scheme', 'Digest abc'],
  ])(
    'answers 401 problem+json with WWW-Authenticate for %s',
    async (_what, authorization) => {
      for (const [method, path] of [
        ['GET', '/jmap/session'],
        ['POST', '/jmap'],
      ]) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization, 'content-type': 'application/json' },
          body:
            method === 'POST'
              ? JSON.stringify({ using: USING, methodCalls: [] })
              : undefined,
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toBe(
          'application/problem+json',
        );
        expect(res.headers.get('www-authenticate')).toBeTruthy();
        expect(await res.json()).toEqual({
          type: 'about:blank',
          status: 401,
          title: 'Unauthorized',
          detail: expect.any(String),
        });
      }
    },
  );

  it('answers 401 to POST /jmap without credentials', async () => {
    const res = await fetch(`${base}/jmap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls: [] }),
    });
    expect(res.status).toBe(401);
  });
});

describe('request-level errors (problem+json, HTTP 400)', () => {
  it('refuses a non-JSON Content-Type with notJSON', async () => {
    const res = await jmapRaw([], { contentType: 'text/plain' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'urn:ietf:params:jmap:error:notJSON',
      status: 400,
    });
  });

  it('refuses a body that is not a JMAP request with notRequest', async () => {
    const res = await fetch(`${base}/jmap`, {
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      body: '{"using": [], "methodCalls": "nope"}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'urn:ietf:params:jmap:error:notRequest',
      status: 400,
    });
  });

  it('refuses an unknown capability', async () => {
    const res = await jmapRaw([], { using: [...USING, 'urn:example:nope'] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      type: 'urn:ietf:params:jmap:error:unknownCapability',
    });
  });

  it('refuses more than 16 calls with limit maxCallsInRequest', async () => {
    const calls: Call[] = Array.from({ length: 17 }, (_, i) => [
      'x:Domain/get',
      { ids: [] },
      `c${i}`,
    ]);
    const res = await jmapRaw(calls);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      type: 'urn:ietf:params:jmap:error:limit',
      limit: 'maxCallsInRequest',
    });
    const ok = await jmapRaw(calls.slice(0, 16));
    expect(ok.status).toBe(200);
  });
});

describe('method-level errors (HTTP 200)', () => {
  it('answers an unknown method with ["error", {type: "unknownMethod"}, callId] and runs the others', async () => {
    const responses = await jmap([
      ['x:Nope/get', {}, 'a'],
      ['x:Domain/get', { ids: [] }, 'b'],
    ]);
    expect(responses[0]).toEqual([
      'error',
      { type: 'unknownMethod', description: expect.any(String) },
      'a',
    ]);
    expect(responses[1][0]).toBe('x:Domain/get');
    expect(responses[1][2]).toBe('b');
  });

  it('answers forbidden to an account without the sys* permissions', async () => {
    const domainId = await createDomain('users.example', {
      dkimManagement: { '@type': 'Manual' },
    });
    const [[, created]] = await jmap([
      [
        'x:Account/set',
        {
          create: {
            u: {
              '@type': 'User',
              name: 'alice',
              domainId,
              credentials: { 0: { '@type': 'Password', secret: STRONG } },
            },
          },
        },
        'c',
      ],
    ]);
    expect(created.created).toBeDefined();
    const alice = `Basic ${Buffer.from(
      `alice@users.example:${STRONG}`,
    ).toString('base64')}`;
    const [response] = await jmap(
      [['x:Domain/get', { ids: null }, 'g']],
      alice,
    );
    expect(response).toEqual([
      'error',
      { type: 'forbidden', description: expect.any(String) },
      'g',
    ]);
  });
});

describe('x:Domain', () => {
  it('creates a domain: created {id}, empty result maps omitted', async () => {
    const [[name, result, callId]] = await jmap([
      ['x:Domain/set', { create: { d: { name: 'acme.example' } } }, 'c1'],
    ]);
    expect(name).toBe('x:Domain/set');
    expect(callId).toBe('c1');
    expect(result).toEqual({
      accountId: expect.any(String),
      oldState: expect.any(String),
      newState: expect.any(String),
      created: { d: { id: expect.any(String) } },
    });
    expect(result.newState).not.toBe(result.oldState);
  });

  it('refuses a duplicate name (or alias) with primaryKeyViolation naming the holder', async () => {
    const first = await createDomain('dup.example', {
      aliases: { 'alias.example': true },
    });
    for (const value of [
      { name: 'dup.example' },
      { name: 'other.example', aliases: { 'dup.example': true } },
      { name: 'alias.example' },
    ]) {
      const [[, result]] = await jmap([
        ['x:Domain/set', { create: { x: value } }, 'c'],
      ]);
      expect(result.created).toBeUndefined();
      expect(result.notCreated).toEqual({
        x: expect.objectContaining({
          type: 'primaryKeyViolation',
          objectId: { object: 'Domain', id: first },
        }),
      });
    }
    expect(platform.state().stalwart.domains).toHaveLength(1);
  });

  it('gets dnsZoneFile without DKIM records at first, with them once the automatic keys exist', async () => {
    // create and get in one request: the keys never exist before the answer
    const [[, set], [, get]] = await jmap([
      ['x:Domain/set', { create: { d: { name: 'zone.example' } } }, 'c1'],
      [
        'x:Domain/get',
        { ids: ['#d'], properties: ['name', 'dnsZoneFile'] },
        'c2',
      ],
    ]);
    const id = (set.created as Record<string, { id: string }>).d.id;
    const createdAt = Date.now();
    const [domain] = get.list as Array<Record<string, string>>;
    expect(domain).toEqual({
      id,
      name: 'zone.example',
      dnsZoneFile: expect.any(String),
    });
    expect(domain.dnsZoneFile).toContain('zone.example. IN MX 10 ');
    expect(domain.dnsZoneFile).toContain(
      'zone.example. IN TXT "v=spf1 mx -all"',
    );
    expect(domain.dnsZoneFile).not.toContain('_domainkey');
    expect(await zoneFile(id)).not.toContain('_domainkey');

    const ids = await waitForDkim(id, 2);
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(DKIM_DELAY_MS - 50);
    const [[, sigs]] = await jmap([['x:DkimSignature/get', { ids }, 'g']]);
    const list = sigs.list as Array<Record<string, unknown>>;
    const ymd = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect(list.map(s => s['@type']).sort()).toEqual([
      'Dkim1Ed25519Sha256',
      'Dkim1RsaSha256',
    ]);
    for (const sig of list) {
      expect(sig).toMatchObject({ domainId: id, stage: 'active' });
      expect(sig.selector).toMatch(
        new RegExp(`^v1-(rsa|ed25519)-(${ymd}|\\d{8})$`),
      );
      // the private key is never shown
      expect(sig.privateKey).toEqual({ '@type': 'Text', secret: '****' });
    }

    const records = txtRecords(await zoneFile(id));
    for (const sig of list) {
      const k = sig['@type'] === 'Dkim1RsaSha256' ? 'rsa' : 'ed25519';
      expect(sig.publicKey).toEqual(expect.any(String));
      expect(records.get(`${sig.selector}._domainkey.zone.example.`)).toBe(
        `v=DKIM1; k=${k}; h=sha256; p=${sig.publicKey}`,
      );
    }
  });

  it('creates no keys under manual DKIM management', async () => {
    const id = await createDomain('manual.example', {
      dkimManagement: { '@type': 'Manual' },
    });
    const auto = await createDomain('auto.example');
    // once the automatic domain has its keys, the manual one would have too
    await waitForDkim(auto, 2);
    expect(await dkimIds(id)).toEqual([]);
    expect(await zoneFile(id)).not.toContain('_domainkey');
  });

  it('refuses to destroy a domain its DKIM signatures still reference (objectIsLinked), destroys it after them', async () => {
    const id = await createDomain('linked.example');
    const sigIds = await waitForDkim(id, 2);
    const [[, refused]] = await jmap([
      ['x:Domain/set', { destroy: [id] }, 'd'],
    ]);
    expect(refused.destroyed).toBeUndefined();
    expect(refused.notDestroyed).toEqual({
      [id]: {
        type: 'objectIsLinked',
        objectId: { object: 'Domain', id },
        linkedObjects: expect.arrayContaining(
          sigIds.map(s => ({ object: 'DkimSignature', id: s })),
        ),
      },
    });

    const [[, sigs], [, domain]] = await jmap([
      ['x:DkimSignature/set', { destroy: sigIds }, 's'],
      ['x:Domain/set', { destroy: [id] }, 'd'],
    ]);
    expect((sigs.destroyed as string[]).sort()).toEqual([...sigIds].sort());
    expect(domain.destroyed).toEqual([id]);
    expect(platform.state().stalwart.domains).toEqual([]);
  });

  it('refuses to destroy a domain an account uses; unknown ids → notFound', async () => {
    const id = await createDomain('used.example', {
      dkimManagement: { '@type': 'Manual' },
    });
    const [[, account]] = await jmap([
      [
        'x:Account/set',
        {
          create: {
            a: { '@type': 'User', name: 'bob', domainId: id },
          },
        },
        'a',
      ],
    ]);
    const accountId = (account.created as Record<string, { id: string }>).a.id;
    const [[, result]] = await jmap([
      ['x:Domain/set', { destroy: [id, 'zzzz'] }, 'd'],
    ]);
    expect(result.notDestroyed).toEqual({
      [id]: {
        type: 'objectIsLinked',
        objectId: { object: 'Domain', id },
        linkedObjects: [{ object: 'Account', id: accountId }],
      },
      zzzz: { type: 'notFound' },
    });
    const [[, update]] = await jmap([
      ['x:Domain/set', { update: { zzzz: { description: 'x' } } }, 'u'],
    ]);
    expect(update.notUpdated).toEqual({ zzzz: { type: 'notFound' } });
  });
});

describe('x:Account', () => {
  let domainId: string;
  beforeEach(async () => {
    domainId = await createDomain('mail.example', {
      dkimManagement: { '@type': 'Manual' },
    });
  });

  function createUser(name: string, secret: string) {
    return jmap([
      [
        'x:Account/set',
        {
          create: {
            u: {
              '@type': 'User',
              name,
              domainId,
              credentials: { 0: { '@type': 'Password', secret } },
              roles: { '@type': 'User' },
              permissions: { '@type': 'Inherit' },
            },
          },
        },
        'c',
      ],
    ]);
  }

  it('refuses an unknown domainId with invalidForeignKey', async () => {
    const [[, result]] = await jmap([
      [
        'x:Account/set',
        { create: { u: { '@type': 'User', name: 'x', domainId: 'nope' } } },
        'c',
      ],
    ]);
    expect(result.notCreated).toEqual({
      u: expect.objectContaining({ type: 'invalidForeignKey' }),
    });
  });

  it('refuses a weak password with invalidProperties ["secret"]', async () => {
    const [[, result]] = await createUser('weak', 'password1');
    expect(result.notCreated).toEqual({
      u: expect.objectContaining({
        type: 'invalidProperties',
        properties: ['secret'],
      }),
    });
  });

  it('masks the password on get and refuses a duplicate name@domain', async () => {
    const [[, result]] = await createUser('carol', STRONG);
    const id = (result.created as Record<string, { id: string }>).u.id;
    const [[, got]] = await jmap([['x:Account/get', { ids: [id] }, 'g']]);
    const [account] = got.list as Array<Record<string, any>>;
    expect(account.emailAddress).toBe('carol@mail.example');
    const credentials = Object.values(account.credentials) as Array<
      Record<string, unknown>
    >;
    expect(credentials).toEqual([
      expect.objectContaining({ '@type': 'Password', secret: '****' }),
    ]);
    const [[, dup]] = await createUser('carol', STRONG);
    expect(dup.notCreated).toEqual({
      u: expect.objectContaining({ type: 'primaryKeyViolation' }),
    });
  });

  it('freezes a mailbox via disabledPermissions.authenticate and unfreezes it with the same password', async () => {
    const [[, result]] = await createUser('dave', STRONG);
    const id = (result.created as Record<string, { id: string }>).u.id;
    const login = `Basic ${Buffer.from(`dave@mail.example:${STRONG}`).toString(
      'base64',
    )}`;
    const session = () =>
      fetch(`${base}/jmap/session`, { headers: { authorization: login } });
    expect((await session()).status).toBe(200);

    const [[, frozen]] = await jmap([
      [
        'x:Account/set',
        {
          update: {
            [id]: {
              permissions: {
                '@type': 'Merge',
                enabledPermissions: {},
                disabledPermissions: { authenticate: true, emailSend: true },
              },
            },
          },
        },
        'f',
      ],
    ]);
    expect(frozen.updated).toEqual({ [id]: null });
    expect((await session()).status).toBe(401);

    const [[, thawed]] = await jmap([
      [
        'x:Account/set',
        { update: { [id]: { permissions: { '@type': 'Inherit' } } } },
        't',
      ],
    ]);
    expect(thawed.updated).toEqual({ [id]: null });
    expect((await session()).status).toBe(200);
  });
});
