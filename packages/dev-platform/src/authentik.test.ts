/*
 * Contract tests of the Authentik stand-in over real HTTP: the behaviour the
 * API digest (/work/shared/design/apis/authentik.md) states for Authentik
 * 2025.12+ — 403 (never 401) auth errors, DRF field errors, the pagination
 * envelope, PATCH replacing whole values — and the OAuth2 token endpoint's
 * refresh-token rotation (goauthentik/authentik providers/oauth2/views/token.py).
 */
import { DEV_PLATFORM_CREDENTIALS, DevPlatform, startDevPlatform } from '.';

const TOKEN = DEV_PLATFORM_CREDENTIALS.authentik.apiToken;
const { clientId, bootstrapRefreshToken, tokenPath } =
  DEV_PLATFORM_CREDENTIALS.ocis;

let platform: DevPlatform;
let api: string;

beforeAll(async () => {
  platform = await startDevPlatform();
  api = `${platform.urls.authentik}/api/v3`;
});

afterAll(() => platform.stop());

beforeEach(() => platform.reset());

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

async function createGroup(name: string, extra: object = {}) {
  const res = await call('POST', '/core/groups/', { name, ...extra });
  expect(res.status).toBe(201);
  return res.body;
}

async function createUser(username: string, extra: object = {}) {
  const res = await call('POST', '/core/users/', {
    username,
    name: username,
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body;
}

function tokenRequest(params: Record<string, string>) {
  return fetch(`${platform.urls.authentik}${tokenPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an empty Bearer', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('akadmin:x').toString('base64')}`],
  ])(
    'answers 403 "not provided" (never 401) for %s',
    async (_what, authorization) => {
      const res = await fetch(`${api}/core/groups/`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        detail: 'Authentication credentials were not provided.',
      });
    },
  );

  it('answers 403 "Token invalid/expired" for an unknown token', async () => {
    const res = await call('GET', '/core/groups/', undefined, 'nope');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Token invalid/expired' });
  });

  it('answers 403 with the DRF permission text for a token without the permission', async () => {
    const res = await call(
      'POST',
      '/core/groups/',
      { name: 'x' },
      DEV_PLATFORM_CREDENTIALS.authentik.unprivilegedApiToken,
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      detail: 'You do not have permission to perform this action.',
    });
    expect(platform.state().authentik.groups).toEqual([]);
  });

  it('redirects a path without its trailing slash to the slash form', async () => {
    const res = await call('GET', '/core/groups?name=a');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/api/v3/core/groups/?name=a');
  });
});

describe('groups', () => {
  it('creates a group (201) and gets it by its UUID pk', async () => {
    const group = await createGroup('tenant-a', {
      attributes: { dezky: { tenant: 'a' } },
    });
    expect(group).toMatchObject({
      name: 'tenant-a',
      is_superuser: false,
      parents: [],
      users: [],
      attributes: { dezky: { tenant: 'a' } },
    });
    expect(group.pk).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(typeof group.num_pk).toBe('number');

    const got = await call('GET', `/core/groups/${group.pk}/`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(group);
  });

  it('lists with the exact-match name filter in the pagination envelope', async () => {
    await createGroup('alpha');
    await createGroup('alpha-2');
    await createGroup('beta');
    const res = await call('GET', '/core/groups/?name=alpha');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      pagination: {
        next: 0,
        previous: 0,
        count: 1,
        current: 1,
        total_pages: 1,
        start_index: 1,
        end_index: 1,
      },
      results: [expect.objectContaining({ name: 'alpha' })],
      autocomplete: {},
    });
    // unknown query parameters are ignored, not an error or an empty list
    const all = await call('GET', '/core/groups/?no_such_filter=1');
    expect(all.body.pagination.count).toBe(3);
  });

  it('pages 1-based with next/previous as page numbers, 0 at the ends', async () => {
    for (const n of [1, 2, 3, 4, 5]) await createGroup(`g${n}`);
    const page2 = await call('GET', '/core/groups/?page=2&page_size=2');
    expect(page2.body.pagination).toEqual({
      next: 3,
      previous: 1,
      count: 5,
      current: 2,
      total_pages: 3,
      start_index: 3,
      end_index: 4,
    });
    expect(page2.body.results.map((g: { name: string }) => g.name)).toEqual([
      'g3',
      'g4',
    ]);
    const last = await call('GET', '/core/groups/?page=3&page_size=2');
    expect(last.body.pagination).toMatchObject({ next: 0, previous: 2 });
    const past = await call('GET', '/core/groups/?page=4&page_size=2');
    expect(past.status).toBe(404);
    expect(past.body).toHaveProperty('detail');
  });

  it('defaults to 20 per page and caps page_size at 100', async () => {
    for (let n = 0; n < 105; n++) {
      await createGroup(`bulk-${String(n).padStart(3, '0')}`);
    }
    const first = await call('GET', '/core/groups/');
    expect(first.body.results).toHaveLength(20);
    expect(first.body.pagination.total_pages).toBe(6);
    const big = await call('GET', '/core/groups/?page_size=1000');
    expect(big.body.results).toHaveLength(100);
    expect(big.body.pagination).toMatchObject({ count: 105, next: 2 });
  });

  it('PATCH replaces attributes and users whole, not merged', async () => {
    const u1 = await createUser('u1');
    const u2 = await createUser('u2');
    const group = await createGroup('patched', {
      attributes: { a: 1, b: { c: 2 } },
      users: [u1.pk],
    });
    const res = await call('PATCH', `/core/groups/${group.pk}/`, {
      attributes: { b: { d: 3 } },
      users: [u2.pk],
    });
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual({ b: { d: 3 } });
    expect(res.body.users).toEqual([u2.pk]);
    expect(res.body.name).toBe('patched');
    const got = await call('GET', `/core/groups/${group.pk}/`);
    expect(got.body.attributes).toEqual({ b: { d: 3 } });
  });

  it('refuses a duplicate name with 400 {"name": [...]}', async () => {
    await createGroup('dup');
    const res = await call('POST', '/core/groups/', { name: 'dup' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['name']);
    expect(res.body.name).toEqual([expect.any(String)]);
    const other = await createGroup('other');
    const rename = await call('PATCH', `/core/groups/${other.pk}/`, {
      name: 'dup',
    });
    expect(rename.status).toBe(400);
    expect(rename.body).toHaveProperty('name');
    expect(platform.state().authentik.groups).toHaveLength(2);
  });

  it('requires a name on create (400 field error)', async () => {
    const res = await call('POST', '/core/groups/', { attributes: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ name: ['This field is required.'] });
  });

  it('deletes with 204; a second delete, an unknown or malformed id → 404 {"detail"}', async () => {
    const group = await createGroup('gone');
    const del = await call('DELETE', `/core/groups/${group.pk}/`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    for (const id of [group.pk, 'not-a-uuid']) {
      const again = await call('DELETE', `/core/groups/${id}/`);
      expect(again.status).toBe(404);
      expect(again.body).toEqual({ detail: expect.any(String) });
    }
  });

  it('add_user/remove_user are idempotent 204s; an unknown user pk → 404', async () => {
    const group = await createGroup('members');
    const user = await createUser('member');
    for (let i = 0; i < 2; i++) {
      const add = await call('POST', `/core/groups/${group.pk}/add_user/`, {
        pk: user.pk,
      });
      expect(add.status).toBe(204);
    }
    expect((await call('GET', `/core/groups/${group.pk}/`)).body.users).toEqual(
      [user.pk],
    );
    const unknown = await call('POST', `/core/groups/${group.pk}/add_user/`, {
      pk: 99999,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toHaveProperty('detail');
    for (let i = 0; i < 2; i++) {
      const remove = await call(
        'POST',
        `/core/groups/${group.pk}/remove_user/`,
        { pk: user.pk },
      );
      expect(remove.status).toBe(204);
    }
    expect((await call('GET', `/core/groups/${group.pk}/`)).body.users).toEqual(
      [],
    );
  });
});

describe('users', () => {
  it('refuses a duplicate username, allows a duplicate email', async () => {
    await createUser('anna', { email: 'shared@example.test' });
    const dup = await call('POST', '/core/users/', {
      username: 'anna',
      name: 'Anna',
    });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ username: ['This field must be unique.'] });
    const sameMail = await call('POST', '/core/users/', {
      username: 'anna2',
      name: 'Anna 2',
      email: 'shared@example.test',
    });
    expect(sameMail.status).toBe(201);
    const list = await call('GET', '/core/users/?email=shared@example.test');
    expect(list.body.pagination.count).toBe(2);
  });

  it('validates path (no leading/trailing slashes)', async () => {
    const res = await call('POST', '/core/users/', {
      username: 'p',
      name: 'P',
      path: '/users',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      path: ['No leading or trailing slashes allowed.'],
    });
  });

  it('filters by groups_by_name; an unknown group name → 400 keyed by the param', async () => {
    const group = await createGroup('staff');
    const user = await createUser('in-staff', { groups: [group.pk] });
    await createUser('not-in-staff');
    const res = await call('GET', '/core/users/?groups_by_name=staff');
    expect(res.body.results.map((u: { pk: number }) => u.pk)).toEqual([
      user.pk,
    ]);
    const unknown = await call('GET', '/core/users/?groups_by_name=nope');
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body)).toEqual(['groups_by_name']);
  });

  it('PATCH replaces groups and attributes; is_active false drops the sessions', async () => {
    const g1 = await createGroup('g1');
    const g2 = await createGroup('g2');
    const user = await createUser('patchme', {
      groups: [g1.pk],
      attributes: { keep: false, x: 1 },
    });
    platform.seed.authentikSession('patchme');
    platform.seed.authentikSession('patchme');
    const sessions = await call(
      'GET',
      '/core/authenticated_sessions/?user__username=patchme',
    );
    expect(sessions.body.pagination.count).toBe(2);

    const res = await call('PATCH', `/core/users/${user.pk}/`, {
      groups: [g2.pk],
      attributes: { y: 2 },
      is_active: false,
    });
    expect(res.status).toBe(200);
    expect(res.body.groups).toEqual([g2.pk]);
    expect(res.body.attributes).toEqual({ y: 2 });
    expect(res.body.is_active).toBe(false);
    const after = await call(
      'GET',
      '/core/authenticated_sessions/?user__username=patchme',
    );
    expect(after.body.pagination.count).toBe(0);
  });

  it('set_password: 204 for any non-blank password, 400 for a blank one', async () => {
    const user = await createUser('pw');
    const ok = await call('POST', `/core/users/${user.pk}/set_password/`, {
      password: 'x',
    });
    expect(ok.status).toBe(204);
    const blank = await call('POST', `/core/users/${user.pk}/set_password/`, {
      password: '',
    });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ password: ['This field may not be blank.'] });
  });

  it('recovery: a link, or 400 with a plain-string non_field_errors without a recovery flow', async () => {
    const user = await createUser('lost');
    const ok = await call('POST', `/core/users/${user.pk}/recovery/`);
    expect(ok.status).toBe(200);
    expect(ok.body.link).toMatch(/^http:\/\/.+\?flow_token=.+/);
    platform.configure({ authentikRecoveryFlow: false });
    try {
      const none = await call('POST', `/core/users/${user.pk}/recovery/`);
      expect(none.status).toBe(400);
      expect(none.body).toEqual({ non_field_errors: 'No recovery flow set.' });
    } finally {
      platform.configure({ authentikRecoveryFlow: true });
    }
  });

  it('deletes with 204, then 404', async () => {
    const user = await createUser('bye');
    expect((await call('DELETE', `/core/users/${user.pk}/`)).status).toBe(204);
    const again = await call('DELETE', `/core/users/${user.pk}/`);
    expect(again.status).toBe(404);
    expect(again.body).toHaveProperty('detail');
  });
});

describe('authenticators and events', () => {
  it('lists a user’s devices as a bare array; an unknown user → 400 {"user"}', async () => {
    const user = await createUser('mfa');
    platform.seed.authentikDevice(user.pk, { confirmed: true });
    const res = await call('GET', `/authenticators/admin/all/?user=${user.pk}`);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body).toEqual([
      expect.objectContaining({ confirmed: true, pk: expect.any(String) }),
    ]);
    const unknown = await call('GET', '/authenticators/admin/all/?user=9999');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toHaveProperty('user');
  });

  it('lists events newest first and ignores created__gt', async () => {
    await createGroup('e1');
    await createGroup('e2');
    const res = await call(
      'GET',
      `/events/events/?created__gt=${encodeURIComponent(
        new Date(Date.now() + 3600_000).toISOString(),
      )}`,
    );
    expect(res.status).toBe(200);
    const names = res.body.results.map(
      (e: { context: { model?: { name: string } } }) => e.context.model?.name,
    );
    expect(names).toEqual(['e2', 'e1']);
    expect(
      new Set(res.body.results.map((e: { pk: string }) => e.pk)).size,
    ).toBe(2);
  });
});

describe('token endpoint (refresh_token grant)', () => {
  it('rotates: a new refresh token each time, the used one is then rejected with invalid_grant', async () => {
    const first = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: bootstrapRefreshToken,
      client_id: clientId,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const one = await first.json();
    expect(one).toMatchObject({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: expect.any(String),
      scope: expect.stringContaining('offline_access'),
      id_token: expect.any(String),
    });
    expect(one.refresh_token).not.toBe(bootstrapRefreshToken);

    const second = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: one.refresh_token,
      client_id: clientId,
    });
    expect(second.status).toBe(200);
    const two = await second.json();
    expect(two.refresh_token).not.toBe(one.refresh_token);
    expect(two.access_token).not.toBe(one.access_token);

    const reused = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: one.refresh_token,
      client_id: clientId,
    });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({
      error: 'invalid_grant',
      error_description: expect.any(String),
    });
    expect(platform.state().authentik.tokens).toEqual({
      grants: 2,
      rejected: 1,
    });
  });

  it('issues access tokens the OCIS stand-in accepts', async () => {
    const res = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: bootstrapRefreshToken,
      client_id: clientId,
    });
    const { access_token: accessToken } = await res.json();
    const drives = await fetch(`${platform.urls.ocis}/graph/v1.0/me/drives`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(drives.status).toBe(200);
    const refused = await fetch(`${platform.urls.ocis}/graph/v1.0/me/drives`, {
      headers: { authorization: `Bearer ${accessToken}x` },
    });
    expect(refused.status).toBe(401);
    // the Authentik API takes its own API tokens, not these
    const viaApi = await call('GET', '/core/groups/', undefined, accessToken);
    expect(viaApi.status).toBe(403);
  });

  it('answers 400 invalid_client for an unknown client, unsupported_grant_type, invalid_scope without offline_access', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [
        {
          grant_type: 'refresh_token',
          refresh_token: bootstrapRefreshToken,
          client_id: 'someone-else',
        },
        'invalid_client',
      ],
      [
        { grant_type: 'urn:example:no-such-grant', client_id: clientId },
        'unsupported_grant_type',
      ],
      [
        {
          grant_type: 'refresh_token',
          refresh_token: bootstrapRefreshToken,
          client_id: clientId,
          scope: 'openid profile',
        },
        'invalid_scope',
      ],
      [
        {
          grant_type: 'refresh_token',
          refresh_token: 'never-issued',
          client_id: clientId,
        },
        'invalid_grant',
      ],
    ];
    for (const [params, error] of cases) {
      const res = await tokenRequest(params);
      expect({ error, status: res.status }).toEqual({ error, status: 400 });
      expect((await res.json()).error).toBe(error);
    }
    expect(platform.state().authentik.tokens).toEqual({
      grants: 0,
      rejected: 4,
    });
  });

  it('issues access tokens that expire (accessTokenTtlSeconds)', async () => {
    const expiring = await startDevPlatform({ accessTokenTtlSeconds: 0 });
    try {
      const res = await fetch(`${expiring.urls.authentik}${tokenPath}`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: bootstrapRefreshToken,
          client_id: clientId,
        }),
      });
      const { access_token: accessToken, expires_in: expiresIn } =
        await res.json();
      expect(expiresIn).toBe(0);
      const drives = await fetch(`${expiring.urls.ocis}/graph/v1.0/drives`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(drives.status).toBe(401);
    } finally {
      await expiring.stop();
    }
  });
});
