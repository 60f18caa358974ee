/*
 * Contract tests of the OCIS (Libre Graph) stand-in over real HTTP, as the
 * digest (/work/shared/design/apis/ocis-libregraph.md) states OCIS behaves:
 * the proxy's 401 with an empty body, the odata error envelope, the drive
 * $filter rules (no paging), and the project-space lifecycle — create (no
 * dots in names), rename, disable (DELETE), restore (Restore: T), purge —
 * plus space members, users and groups.
 */
import { DEV_PLATFORM_CREDENTIALS, DevPlatform, startDevPlatform } from '.';

const { clientId, bootstrapRefreshToken, tokenPath } =
  DEV_PLATFORM_CREDENTIALS.ocis;
const VIEWER = 'a8d5fe5e-96e3-418d-825b-534dbdf22b99';
const EDITOR = '58c63c02-1d89-4572-916a-870abc5a1b7d';
/** A file/folder role of the spec examples, not applicable to a space root. */
const FILE_VIEWER = 'b1e2218d-eef8-4d4c-b82d-0f1a1b48f3b5';

let platform: DevPlatform;
let graph: string;
let accessToken: string;

beforeAll(async () => {
  platform = await startDevPlatform();
  graph = `${platform.urls.ocis}/graph`;
});

afterAll(() => platform.stop());

beforeEach(async () => {
  platform.reset();
  const res = await fetch(`${platform.urls.authentik}${tokenPath}`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: bootstrapRefreshToken,
      client_id: clientId,
    }),
  });
  accessToken = (await res.json()).access_token;
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${graph}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Asserts the Libre Graph error envelope with that status and code. */
function expectGraphError(
  res: { status: number; body: any },
  status: number,
  code: string,
  message?: RegExp,
) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({
    status,
    code,
  });
  expect(res.body).toEqual({
    error: {
      code,
      message: expect.stringMatching(message ?? /^[A-Z]/),
      innererror: {
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        'request-id': expect.any(String),
      },
    },
  });
}

async function createSpace(name: string, extra: object = {}) {
  const res = await call('POST', '/v1.0/drives', {
    name,
    driveType: 'project',
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body;
}

const enc = encodeURIComponent;
const PROJECTS = `$filter=${enc("driveType eq 'project'")}`;

describe('proxy authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer not-issued'],
    ['basic auth', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
  ])('answers 401 with an empty body for %s', async (_what, authorization) => {
    const res = await fetch(`${graph}/v1.0/drives`, {
      headers: authorization ? { authorization } : {},
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });
});

describe('drives', () => {
  it('creates a project space (201) with ids <storage>$<space>, root, quota', async () => {
    const drive = await createSpace('Tenant A', {
      description: 'tenant a',
      quota: { total: 1000 },
    });
    expect(drive).toMatchObject({
      name: 'Tenant A',
      driveType: 'project',
      description: 'tenant a',
      quota: { total: 1000, used: 0, remaining: 1000, state: 'normal' },
    });
    expect(drive.id).toMatch(/^[^$]+\$[^$]+$/);
    expect(drive.root.id).toBe(drive.id);
    expect(drive.root.webDavUrl).toMatch(
      new RegExp(`/dav/spaces/${drive.id.replace('$', '\\$')}$`),
    );
    expect(drive.root.deleted).toBeUndefined();
    // a project space's owner is the space itself
    expect(drive.owner.user.id).toBe(drive.id.split('$')[1]);
  });

  it.each([
    ['a dot', 'tenant.example'],
    ['a slash', 'a/b'],
    ['only blanks', '   '],
  ])(
    'refuses a name with %s: 400 invalidRequest "Invalid spacename"',
    async (_w, name) => {
      const res = await call('POST', '/v1.0/drives', { name });
      expectGraphError(res, 400, 'invalidRequest', /^Invalid spacename/);
      expect(platform.state().ocis.drives).toEqual([]);
    },
  );

  it('refuses other drive types and unknown body fields with 400', async () => {
    const personal = await call('POST', '/v1.0/drives', {
      name: 'x',
      driveType: 'personal',
    });
    expectGraphError(
      personal,
      400,
      'invalidRequest',
      /^Drives of this type cannot be created via this api/,
    );
    const unknown = await call('POST', '/v1.0/drives', {
      name: 'x',
      nonsense: true,
    });
    expectGraphError(unknown, 400, 'invalidRequest');
    expect(platform.state().ocis.drives).toEqual([]);
  });

  it("lists with $filter=driveType eq 'project' as {value} without paging; allows duplicate names", async () => {
    await call('POST', '/v1.0/users', {
      displayName: 'Erika',
      onPremisesSamAccountName: 'erika',
    });
    const a = await createSpace('Same');
    const b = await createSpace('Same');
    expect(a.id).not.toBe(b.id);

    const all = await call('GET', '/v1.0/drives');
    expect(all.body.value.map((d: any) => d.driveType).sort()).toEqual([
      'personal',
      'project',
      'project',
    ]);
    const projects = await call('GET', `/v1.0/drives?${PROJECTS}`);
    expect(projects.status).toBe(200);
    expect(Object.keys(projects.body)).toEqual(['value']);
    expect(projects.body.value.map((d: any) => d.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
  });

  it('ignores an eq on another field, answers 501 to "and", 400 to a bad $orderby', async () => {
    await createSpace('One');
    await createSpace('Two');
    const ignored = await call(
      'GET',
      `/v1.0/drives?$filter=${enc("name eq 'One'")}`,
    );
    expect(ignored.body.value).toHaveLength(2);
    const and = await call(
      'GET',
      `/v1.0/drives?$filter=${enc("driveType eq 'project' and name eq 'One'")}`,
    );
    expectGraphError(
      and,
      501,
      'notSupported',
      /^Unsupported filter operand: and/,
    );
    const order = await call('GET', '/v1.0/drives?$orderby=quota');
    expectGraphError(order, 400, 'invalidRequest');
    const byName = await call('GET', '/v1.0/drives?$orderby=name%20desc');
    expect(byName.body.value.map((d: any) => d.name)).toEqual(['Two', 'One']);
  });

  it('gets a drive; unknown → 404 itemNotFound "Drive not found"; malformed id → 400', async () => {
    const drive = await createSpace('Get me');
    const got = await call('GET', `/v1.0/drives/${enc(drive.id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(drive);
    const unknown = await call(
      'GET',
      `/v1.0/drives/${enc(
        `${drive.id.split('$')[0]}$00000000-0000-0000-0000-000000000000`,
      )}`,
    );
    expectGraphError(unknown, 404, 'itemNotFound', /^Drive not found/);
    const malformed = await call('GET', '/v1.0/drives/no-dollar-here');
    expect(malformed.status).toBe(400);
  });

  it('renames and sets the quota with PATCH (200); an invalid name → 400 generalException', async () => {
    const drive = await createSpace('Old name');
    const renamed = await call('PATCH', `/v1.0/drives/${enc(drive.id)}`, {
      name: 'New name',
      quota: { total: 5000 },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      id: drive.id,
      name: 'New name',
      quota: { total: 5000 },
    });
    const bad = await call('PATCH', `/v1.0/drives/${enc(drive.id)}`, {
      name: 'with.dot',
    });
    expectGraphError(bad, 400, 'generalException');
    expect((await call('GET', `/v1.0/drives/${enc(drive.id)}`)).body.name).toBe(
      'New name',
    );
  });

  it('computes remaining and state from used/total', async () => {
    const drive = await createSpace('Quota', { quota: { total: 1000 } });
    const cases: Array<[number, string]> = [
      [750, 'normal'],
      [800, 'nearing'],
      [950, 'critical'],
      [1000, 'exceeded'],
    ];
    for (const [used, state] of cases) {
      platform.seed.ocisDriveUsage(drive.id, used);
      const got = await call('GET', `/v1.0/drives/${enc(drive.id)}`);
      expect(got.body.quota).toEqual({
        total: 1000,
        used,
        remaining: 1000 - used,
        state,
      });
    }
  });

  it('disables with DELETE (204, still listed as trashed), restores with PATCH Restore: T', async () => {
    const drive = await createSpace('Lifecycle', { quota: { total: 1000 } });
    const path = `/v1.0/drives/${enc(drive.id)}`;
    const disabled = await call('DELETE', path);
    expect(disabled.status).toBe(204);
    expect(disabled.text).toBe('');

    const listed = await call('GET', `/v1.0/drives?${PROJECTS}`);
    const trashed = listed.body.value.find((d: any) => d.id === drive.id);
    expect(trashed.root.deleted).toEqual({ state: 'trashed' });
    expect(trashed.quota).toEqual({ total: 1000 });
    expect(trashed.special).toBeUndefined();

    // a plain PATCH does not bring it back
    const plain = await call('PATCH', path, { name: 'Nope' });
    expect(plain.status).toBe(404);

    const restored = await call('PATCH', path, {}, { Restore: 'T' });
    expect(restored.status).toBe(200);
    expect(restored.body.root.deleted).toBeUndefined();
    expect(restored.body.quota).toMatchObject({ total: 1000, state: 'normal' });
    expect(restored.body.name).toBe('Lifecycle');
  });

  it('purges only a disabled space: enabled → 400, disabled → 204, then 404', async () => {
    const drive = await createSpace('Purge me');
    const path = `/v1.0/drives/${enc(drive.id)}`;
    const enabled = await call('DELETE', path, undefined, { Purge: 'T' });
    expectGraphError(
      enabled,
      400,
      'invalidRequest',
      /can't purge enabled space/,
    );
    expect((await call('DELETE', path)).status).toBe(204);
    expect(
      (await call('DELETE', path, undefined, { Purge: 'true' })).status,
    ).toBe(204);
    expectGraphError(await call('GET', path), 404, 'itemNotFound');
    expect(platform.state().ocis.drives).toEqual([]);
  });
});

describe('space members (v1beta1)', () => {
  async function user(name: string) {
    const res = await call('POST', '/v1.0/users', {
      displayName: name,
      onPremisesSamAccountName: name.toLowerCase(),
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('invites one recipient (200, u:<id>), 409 on repeat, 400 for a file role; lists, patches, removes', async () => {
    const drive = await createSpace('Team');
    const member = await user('Frida');
    const invitePath = `/v1beta1/drives/${enc(drive.id)}/root/invite`;
    const invite = (roles: string[]) =>
      call('POST', invitePath, {
        recipients: [
          { objectId: member.id, '@libre.graph.recipient.type': 'user' },
        ],
        roles,
      });

    const first = await invite([VIEWER]);
    expect(first.status).toBe(200);
    expect(first.body.value).toEqual([
      expect.objectContaining({
        id: `u:${member.id}`,
        roles: [VIEWER],
        grantedToV2: { user: { id: member.id, displayName: 'Frida' } },
      }),
    ]);
    expectGraphError(await invite([VIEWER]), 409, 'nameAlreadyExists');
    const fileRole = await call('POST', invitePath, {
      recipients: [{ objectId: member.id }],
      roles: [FILE_VIEWER],
    });
    expect(fileRole.status).toBe(400);

    const permissionsPath = `/v1beta1/drives/${enc(drive.id)}/root/permissions`;
    const list = await call('GET', permissionsPath);
    expect(list.status).toBe(200);
    expect(list.body['@libre.graph.permissions.roles.allowedValues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: VIEWER })]),
    );
    expect(list.body.value.map((p: any) => p.id)).toContain(`u:${member.id}`);

    const patched = await call(
      'PATCH',
      `${permissionsPath}/${enc(`u:${member.id}`)}`,
      { roles: [EDITOR] },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.roles).toEqual([EDITOR]);

    const removed = await call(
      'DELETE',
      `${permissionsPath}/${enc(`u:${member.id}`)}`,
    );
    expect(removed.status).toBe(204);
    const after = await call('GET', permissionsPath);
    expect(after.body.value.map((p: any) => p.id)).not.toContain(
      `u:${member.id}`,
    );
  });
});

describe('users and groups', () => {
  it('creates users (201), refuses a duplicate (409), deletes (204); self-deletion → 403', async () => {
    const body = { displayName: 'Gustav', onPremisesSamAccountName: 'gustav' };
    const created = await call('POST', '/v1.0/users', body);
    expect(created.status).toBe(201);
    expectGraphError(
      await call('POST', '/v1.0/users', body),
      409,
      'nameAlreadyExists',
    );
    const withId = await call('POST', '/v1.0/users', { ...body, id: 'x' });
    expectGraphError(withId, 400, 'invalidRequest');
    expect(
      (await call('DELETE', `/v1.0/users/${created.body.id}`)).status,
    ).toBe(204);
    expectGraphError(
      await call('DELETE', `/v1.0/users/${created.body.id}`),
      404,
      'itemNotFound',
    );
    const me = await call('GET', '/v1.0/users/dezky-portal-service');
    expect(me.status).toBe(200);
    expectGraphError(
      await call('DELETE', `/v1.0/users/${me.body.id}`),
      403,
      'accessDenied',
    );
  });

  it('creates groups (201, 409 on a duplicate), adds members idempotently, lists them as a bare array', async () => {
    const user = await call('POST', '/v1.0/users', {
      displayName: 'Hanna',
      onPremisesSamAccountName: 'hanna',
    });
    const group = await call('POST', '/v1.0/groups', { displayName: 'staff' });
    expect(group.status).toBe(201);
    expect(group.body).toEqual({
      id: expect.any(String),
      displayName: 'staff',
    });
    expectGraphError(
      await call('POST', '/v1.0/groups', { displayName: 'staff' }),
      409,
      'nameAlreadyExists',
    );
    for (let i = 0; i < 2; i++) {
      const add = await call(
        'POST',
        `/v1.0/groups/${group.body.id}/members/$ref`,
        {
          '@odata.id': `${graph}/v1.0/users/${user.body.id}`,
        },
      );
      expect(add.status).toBe(204);
    }
    const members = await call('GET', `/v1.0/groups/${group.body.id}/members`);
    expect(members.status).toBe(200);
    expect(Array.isArray(members.body)).toBe(true);
    expect(members.body.map((u: any) => u.id)).toEqual([user.body.id]);
    expect(
      (
        await call(
          'DELETE',
          `/v1.0/groups/${group.body.id}/members/${user.body.id}/$ref`,
        )
      ).status,
    ).toBe(204);
    expect((await call('DELETE', `/v1.0/groups/${group.body.id}`)).status).toBe(
      204,
    );
  });
});
