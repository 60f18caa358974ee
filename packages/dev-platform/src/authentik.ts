/*
 * Authentik stand-in: the /api/v3 endpoints the portal uses (groups, users,
 * sessions, authenticators, events) in the 2025.12+ shape, and the OAuth2
 * token endpoint (refresh-token grant with rotation) that issues the access
 * tokens the OCIS stand-in accepts.
 *
 * Spec: /work/shared/design/apis/authentik.md; behaviour read from
 * goauthentik/authentik authentik/core/api/{groups,users}.py (2025.12+).
 */
import { createHash, createHmac } from 'node:crypto';
import {
  emptyResponse,
  header,
  isObject,
  jsonResponse,
  nowIso,
  Obj,
  parseJsonBody,
  randomToken,
  segments,
  StandIn,
  StandInRequest,
  StandInResponse,
  uuid,
} from './http';
import { DEV_PLATFORM_CREDENTIALS } from './types';

const API_TOKEN = DEV_PLATFORM_CREDENTIALS.authentik.apiToken;
const UNPRIVILEGED_TOKEN =
  DEV_PLATFORM_CREDENTIALS.authentik.unprivilegedApiToken;
const CLIENT_ID = DEV_PLATFORM_CREDENTIALS.ocis.clientId;
const BOOTSTRAP_REFRESH_TOKEN =
  DEV_PLATFORM_CREDENTIALS.ocis.bootstrapRefreshToken;
const TOKEN_PATH = DEV_PLATFORM_CREDENTIALS.ocis.tokenPath;
const INSTALL_ID = 'dev-platform-install';
const DEFAULT_SCOPE = 'openid profile email offline_access';
const UUID_RE =
  /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const USER_TYPES = [
  'internal',
  'external',
  'service_account',
  'internal_service_account',
];
/** The implicit owner of the API token (not listed among users). */
const API_USER = { pk: 1, username: 'akadmin', email: 'root@localhost' };

interface AkUser {
  pk: number;
  uuid: string;
  username: string;
  name: string;
  email: string;
  is_active: boolean;
  last_login: string | null;
  date_joined: string;
  path: string;
  type: string;
  attributes: Obj;
  password_change_date: string;
  last_updated: string;
}

interface AkGroup {
  uuid: string;
  num_pk: number;
  name: string;
  is_superuser: boolean;
  parents: string[];
  users: number[];
  attributes: Obj;
}

interface AkSession {
  uuid: string;
  user: number;
  last_ip: string;
  last_user_agent: string;
  last_used: string;
  expires: string;
}

interface AkDevice {
  pk: string;
  user: number;
  name: string;
  type: string;
  confirmed: boolean;
  created: string;
  last_updated: string;
  last_used: string | null;
  verbose_name: string;
  verbose_name_plural: string;
  meta_model_name: string;
}

interface AkEvent {
  pk: string;
  user: Obj;
  action: string;
  app: string;
  context: Obj;
  client_ip: string;
  created: string;
  expires: string;
  brand: Obj;
}

type Caller = 'admin' | 'unprivileged';

export interface AuthentikOptions {
  accessTokenTtlSeconds: number;
  recoveryFlow(): boolean;
}

/** DRF-style field errors: { field: [message, …] }. */
class FieldErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string) {
    (this.errors[field] ??= []).push(message);
  }

  get empty() {
    return Object.keys(this.errors).length === 0;
  }
}

function detail(status: number, message: string): StandInResponse {
  return jsonResponse(status, { detail: message });
}

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number')
    return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'dict';
}

/** DRF BooleanField input. */
function parseDrfBool(value: unknown): boolean | undefined {
  if (
    [true, 'true', 'True', 'TRUE', 1, '1', 'on', 'yes'].includes(value as never)
  )
    return true;
  if (
    [false, 'false', 'False', 'FALSE', 0, '0', 'off', 'no'].includes(
      value as never,
    )
  )
    return false;
  return undefined;
}

/** django-filter BooleanFilter query value; undefined: no filtering. */
function parseQueryBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  if (['true', 'True', '1'].includes(value)) return true;
  if (['false', 'False', '0'].includes(value)) return false;
  return undefined;
}

function cmp(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** The attributes filter: {"key": value, "nested__key": value}. */
function matchesAttributes(attributes: Obj, filter: Obj): boolean {
  return Object.entries(filter).every(([key, expected]) => {
    let value: unknown = attributes;
    for (const part of key.split('__')) {
      if (!isObject(value)) return false;
      value = value[part];
    }
    return JSON.stringify(value) === JSON.stringify(expected);
  });
}

export class AuthentikStandIn implements StandIn {
  private users = new Map<number, AkUser>();
  private groups = new Map<string, AkGroup>();
  private sessions = new Map<string, AkSession>();
  private devices: AkDevice[] = [];
  private events: AkEvent[] = [];
  private nextUserPk = 2;
  private nextGroupPk = 1;
  private nextDevicePk = 1;
  private lastEventTime = 0;
  private refreshTokens = new Map<
    string,
    { state: 'active' | 'used'; scope: string }
  >();
  private accessTokens = new Map<
    string,
    { expiresAt: number; scope: string }
  >();
  private tokenCounters = { grants: 0, rejected: 0 };
  private readonly idTokenKey = randomToken();

  constructor(private readonly options: AuthentikOptions) {}

  reset(): void {
    this.users.clear();
    this.groups.clear();
    this.sessions.clear();
    this.devices = [];
    this.events = [];
    this.nextUserPk = 2;
    this.nextGroupPk = 1;
    this.nextDevicePk = 1;
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.tokenCounters = { grants: 0, rejected: 0 };
  }

  stop(): void {}

  tooManyRequests(retryAfterSeconds: number): StandInResponse {
    // DRF Throttled: "Expected available in N second(s)."
    const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
    return jsonResponse(
      429,
      {
        detail: `Request was throttled. Expected available in ${retryAfterSeconds} ${unit}.`,
      },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  serverError(): StandInResponse {
    // DRF APIException default.
    return detail(500, 'A server error occurred.');
  }

  /** Access tokens issued by the token endpoint and not expired (used by the OCIS stand-in). */
  validateAccessToken(token: string): boolean {
    const entry = this.accessTokens.get(token);
    return !!entry && entry.expiresAt > Date.now();
  }

  state() {
    const groups = this.sortedGroups().map(g =>
      this.renderGroup(g, {
        includeUsers: true,
        includeChildren: false,
        includeParents: false,
      }),
    );
    const users = this.sortedUsers().map(u => this.renderUser(u, true, true));
    const sessions = [...this.sessions.values()].map(s =>
      this.renderSession(s),
    );
    return { groups, users, sessions, tokens: { ...this.tokenCounters } };
  }

  // ---------------------------------------------------------------- seeding

  seedSession(
    username: string,
    details: { lastIp?: string; userAgent?: string } = {},
  ): Obj {
    const user = [...this.users.values()].find(u => u.username === username);
    if (!user) throw new Error(`no authentik user ${JSON.stringify(username)}`);
    const now = new Date();
    const session: AkSession = {
      uuid: uuid(),
      user: user.pk,
      last_ip: details.lastIp ?? '127.0.0.1',
      last_user_agent:
        details.userAgent ??
        'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      last_used: now.toISOString(),
      expires: new Date(now.getTime() + 14 * 86400_000).toISOString(),
    };
    this.sessions.set(session.uuid, session);
    user.last_login = now.toISOString();
    this.event('login', user, { auth_method: 'password' });
    return this.renderSession(session);
  }

  seedDevice(
    userPk: number,
    details: { name?: string; type?: string; confirmed?: boolean } = {},
  ): Obj {
    if (!this.users.has(userPk))
      throw new Error(`no authentik user with pk ${userPk}`);
    const type =
      details.type ?? 'authentik_stages_authenticator_totp.TOTPDevice';
    const model = type.split('.').pop() ?? 'Device';
    const now = nowIso();
    const device: AkDevice = {
      pk: String(this.nextDevicePk++),
      user: userPk,
      name: details.name ?? 'TOTP device',
      type,
      confirmed: details.confirmed ?? true,
      created: now,
      last_updated: now,
      last_used: null,
      verbose_name: model.replace(/Device$/, ' Device'),
      verbose_name_plural: `${model.replace(/Device$/, ' Devices')}`,
      meta_model_name: type.toLowerCase(),
    };
    this.devices.push(device);
    return this.renderDevice(device);
  }

  // ---------------------------------------------------------------- routing

  handle(req: StandInRequest): StandInResponse {
    if (req.path === TOKEN_PATH || req.path === TOKEN_PATH.slice(0, -1)) {
      return this.tokenEndpoint(req);
    }
    if (!req.path.startsWith('/api/v3/')) {
      return detail(404, 'Not found.');
    }
    if (!req.path.endsWith('/')) {
      // Django CommonMiddleware APPEND_SLASH: a permanent redirect to the slash form.
      const query = req.query.toString();
      return emptyResponse(301, {
        location: `${req.path}/${query ? `?${query}` : ''}`,
      });
    }
    const parts = segments(req.path.slice('/api/v3'.length));
    const route = this.route(parts);
    if (!route) return detail(404, 'Not found.');

    const auth = this.authenticate(req);
    if ('status' in auth) return auth;
    const caller = auth.caller;

    const handler = route[req.method];
    if (!handler) {
      return detail(405, `Method "${req.method}" not allowed.`);
    }
    return handler(req, caller);
  }

  private route(
    parts: string[],
  ):
    | Record<string, (req: StandInRequest, caller: Caller) => StandInResponse>
    | undefined {
    const [a, b, c, d] = parts;
    if (a === 'core' && b === 'groups') {
      if (parts.length === 2) {
        return {
          GET: (r, caller) => this.listGroups(r, caller),
          POST: (r, caller) => this.createGroup(r, caller),
        };
      }
      if (parts.length === 3) {
        return {
          GET: (r, caller) => this.getGroup(r, caller, c),
          PUT: (r, caller) => this.updateGroup(r, caller, c, false),
          PATCH: (r, caller) => this.updateGroup(r, caller, c, true),
          DELETE: (_r, caller) => this.deleteGroup(caller, c),
        };
      }
      if (parts.length === 4 && (d === 'add_user' || d === 'remove_user')) {
        return {
          POST: (r, caller) => this.groupMember(r, caller, c, d === 'add_user'),
        };
      }
    }
    if (a === 'core' && b === 'users') {
      if (parts.length === 2) {
        return {
          GET: (r, caller) => this.listUsers(r, caller),
          POST: (r, caller) => this.createUser(r, caller),
        };
      }
      if (parts.length === 3) {
        return {
          GET: (r, caller) => this.getUser(r, caller, c),
          PUT: (r, caller) => this.updateUser(r, caller, c, false),
          PATCH: (r, caller) => this.updateUser(r, caller, c, true),
          DELETE: (_r, caller) => this.deleteUser(caller, c),
        };
      }
      if (parts.length === 4 && d === 'set_password') {
        return { POST: (r, caller) => this.setPassword(r, caller, c) };
      }
      if (parts.length === 4 && d === 'recovery') {
        return { POST: (r, caller) => this.recovery(r, caller, c) };
      }
    }
    if (a === 'core' && b === 'authenticated_sessions') {
      if (parts.length === 2) {
        return { GET: (r, caller) => this.listSessions(r, caller) };
      }
      if (parts.length === 3) {
        return {
          GET: (_r, caller) => this.getSession(caller, c),
          DELETE: (_r, caller) => this.deleteSession(caller, c),
        };
      }
    }
    if (a === 'authenticators' && b === 'admin' && c === 'all') {
      if (parts.length === 3) {
        return { GET: (r, caller) => this.listDevices(r, caller) };
      }
    }
    if (a === 'events' && b === 'events') {
      if (parts.length === 2) {
        return { GET: (r, caller) => this.listEvents(r, caller) };
      }
      if (parts.length === 3) {
        return { GET: (_r, caller) => this.getEvent(caller, c) };
      }
    }
    return undefined;
  }

  private authenticate(
    req: StandInRequest,
  ): { caller: Caller } | StandInResponse {
    const value = header(req, 'authorization');
    const notProvided = detail(
      403,
      'Authentication credentials were not provided.',
    );
    if (!value) return notProvided;
    const [scheme, ...rest] = value.trim().split(/\s+/);
    if (scheme.toLowerCase() !== 'bearer') return notProvided;
    const key = rest.join(' ');
    if (!key) return notProvided;
    if (key === API_TOKEN) return { caller: 'admin' };
    if (key === UNPRIVILEGED_TOKEN) return { caller: 'unprivileged' };
    return detail(403, 'Token invalid/expired');
  }

  private forbidden(): StandInResponse {
    return detail(403, 'You do not have permission to perform this action.');
  }

  // ------------------------------------------------------------ pagination

  private paginate<T extends Obj>(
    req: StandInRequest,
    items: T[],
    render: (item: T) => Obj = item => item,
  ): StandInResponse {
    const sizeParam = Number(req.query.get('page_size'));
    const pageSize =
      Number.isInteger(sizeParam) && sizeParam > 0
        ? Math.min(sizeParam, 100)
        : 20;
    const count = items.length;
    const totalPages = Math.max(1, Math.ceil(count / pageSize));
    const pageParam = req.query.get('page') ?? '1';
    const page = pageParam === 'last' ? totalPages : Number(pageParam);
    if (!Number.isInteger(page) || page < 1 || page > totalPages) {
      return detail(404, 'Invalid page.');
    }
    const start = (page - 1) * pageSize;
    const results = items.slice(start, start + pageSize).map(render);
    return jsonResponse(200, {
      pagination: {
        next: page < totalPages ? page + 1 : 0,
        previous: page > 1 ? page - 1 : 0,
        count,
        current: page,
        total_pages: totalPages,
        start_index: count === 0 ? 0 : start + 1,
        end_index: count === 0 ? 0 : start + results.length,
      },
      results,
      autocomplete: {},
    });
  }

  /** DRF OrderingFilter: unknown fields are ignored; default order otherwise. */
  private order<T extends Obj>(
    req: StandInRequest,
    items: T[],
    allowed: string[],
    defaults: string[],
  ): T[] {
    const requested = (req.query.get('ordering') ?? '')
      .split(',')
      .map(f => f.trim())
      .filter(f => f && allowed.includes(f.replace(/^-/, '')));
    const fields = requested.length > 0 ? requested : defaults;
    return [...items].sort((x, y) => {
      for (const field of fields) {
        const desc = field.startsWith('-');
        const name = field.replace(/^-/, '');
        const result = cmp(x[name], y[name]);
        if (result !== 0) return desc ? -result : result;
      }
      return 0;
    });
  }

  private search<T extends Obj>(
    req: StandInRequest,
    items: T[],
    fields: string[],
  ): T[] {
    const term = req.query.get('search');
    if (!term) return items;
    const words = term.toLowerCase().split(/\s+/).filter(Boolean);
    return items.filter(item =>
      words.every(word =>
        fields.some(f =>
          String(item[f] ?? '')
            .toLowerCase()
            .includes(word),
        ),
      ),
    );
  }

  private attributesFilter(req: StandInRequest): {
    filter?: Obj;
    error?: StandInResponse;
  } {
    const raw = req.query.get('attributes');
    if (raw === null) return {};
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { error: jsonResponse(400, ['filter: failed to parse JSON']) };
    }
    if (!isObject(value)) {
      return {
        error: jsonResponse(400, ['filter: value must be key:value mapping']),
      };
    }
    return { filter: value };
  }

  // ---------------------------------------------------------------- render

  private uid(user: AkUser): string {
    return createHash('sha256')
      .update(`${user.pk}-${INSTALL_ID}`)
      .digest('hex');
  }

  private partialUser(user: AkUser): Obj {
    return {
      pk: user.pk,
      username: user.username,
      name: user.name,
      is_active: user.is_active,
      last_login: user.last_login,
      email: user.email,
      attributes: user.attributes,
      uid: this.uid(user),
    };
  }

  private relatedGroup(group: AkGroup): Obj {
    return {
      pk: group.uuid,
      name: group.name,
      is_superuser: group.is_superuser,
      attributes: group.attributes,
      group_uuid: group.uuid,
    };
  }

  private children(group: AkGroup): AkGroup[] {
    return this.sortedGroups(g => g.parents.includes(group.uuid));
  }

  private renderGroup(
    group: AkGroup,
    opts: {
      includeUsers: boolean;
      includeChildren: boolean;
      includeParents: boolean;
    },
  ): Obj {
    const parents = group.parents
      .map(p => this.groups.get(p))
      .filter((g): g is AkGroup => !!g);
    const children = this.children(group);
    const members = group.users
      .map(pk => this.users.get(pk))
      .filter((u): u is AkUser => !!u);
    return {
      pk: group.uuid,
      num_pk: group.num_pk,
      name: group.name,
      is_superuser: group.is_superuser,
      parents: parents.map(p => p.uuid),
      parents_obj: opts.includeParents
        ? parents.map(p => this.relatedGroup(p))
        : null,
      users: members.map(u => u.pk),
      users_obj: opts.includeUsers
        ? members.map(u => this.partialUser(u))
        : null,
      attributes: group.attributes,
      roles: [],
      roles_obj: [],
      inherited_roles_obj: [],
      children: children.map(c => c.uuid),
      children_obj: opts.includeChildren
        ? children.map(c => this.relatedGroup(c))
        : null,
    };
  }

  private userGroups(user: AkUser): AkGroup[] {
    return this.sortedGroups(g => g.users.includes(user.pk));
  }

  private renderUser(
    user: AkUser,
    includeGroups: boolean,
    includeRoles: boolean,
  ): Obj {
    const groups = this.userGroups(user);
    return {
      pk: user.pk,
      username: user.username,
      name: user.name,
      is_active: user.is_active,
      last_login: user.last_login,
      date_joined: user.date_joined,
      is_superuser: groups.some(g => g.is_superuser),
      groups: groups.map(g => g.uuid),
      groups_obj: includeGroups
        ? groups.map(g => ({
            pk: g.uuid,
            num_pk: g.num_pk,
            name: g.name,
            is_superuser: g.is_superuser,
            attributes: g.attributes,
          }))
        : null,
      roles: [],
      roles_obj: includeRoles ? [] : null,
      email: user.email,
      avatar: `data:image/svg+xml;base64,${Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg"><text>${(
          user.name || user.username
        )
          .slice(0, 2)
          .replace(/[<>&"]/g, '')}</text></svg>`,
      ).toString('base64')}`,
      attributes: user.attributes,
      uid: this.uid(user),
      path: user.path,
      type: user.type,
      uuid: user.uuid,
      password_change_date: user.password_change_date,
      last_updated: user.last_updated,
    };
  }

  private renderSession(session: AkSession): Obj {
    return {
      uuid: session.uuid,
      current: false,
      user: session.user,
      last_ip: session.last_ip,
      last_user_agent: session.last_user_agent,
      last_used: session.last_used,
      expires: session.expires,
      user_agent: {
        device: { brand: null, family: 'Other', model: null },
        os: {
          family: 'Linux',
          major: null,
          minor: null,
          patch: null,
          patch_minor: null,
        },
        user_agent: {
          family: 'Firefox',
          major: '128',
          minor: '0',
          patch: null,
        },
        string: session.last_user_agent,
      },
      geo_ip: null,
      asn: null,
    };
  }

  private renderDevice(device: AkDevice): Obj {
    return {
      verbose_name: device.verbose_name,
      verbose_name_plural: device.verbose_name_plural,
      meta_model_name: device.meta_model_name,
      pk: device.pk,
      name: device.name,
      type: device.type,
      confirmed: device.confirmed,
      created: device.created,
      last_updated: device.last_updated,
      last_used: device.last_used,
      extra_description: null,
      external_id: null,
    };
  }

  /** The groups (those `filter` keeps), by name; filtered before sorting. */
  private sortedGroups(
    filter: (g: AkGroup) => boolean = () => true,
  ): AkGroup[] {
    return [...this.groups.values()]
      .filter(filter)
      .sort((a, b) => cmp(a.name, b.name));
  }

  private sortedUsers(): AkUser[] {
    return [...this.users.values()].sort((a, b) => cmp(a.username, b.username));
  }

  // ---------------------------------------------------------------- events

  private event(action: string, subject: AkUser | undefined, context: Obj) {
    // strictly increasing creation times: newest-first ordering is total
    const time = Math.max(Date.now(), this.lastEventTime + 1);
    this.lastEventTime = time;
    const actor = subject ?? API_USER;
    const user =
      'uuid' in actor
        ? { pk: actor.pk, email: actor.email, username: actor.username }
        : { ...API_USER };
    this.events.push({
      pk: uuid(),
      user,
      action,
      app:
        action === 'login'
          ? 'authentik.events.signals'
          : 'authentik.events.middleware',
      context: {
        ...context,
        http_request: { args: {}, path: '/api/v3/', method: 'POST' },
      },
      client_ip: '127.0.0.1',
      created: new Date(time).toISOString(),
      expires: new Date(time + 365 * 86400_000).toISOString(),
      brand: {
        pk: '00000000-0000-4000-8000-000000000001',
        app: 'authentik_brands',
        name: 'Default brand',
        model_name: 'brand',
      },
    });
  }

  private modelEvent(
    action: 'model_created' | 'model_updated' | 'model_deleted',
    modelName: 'user' | 'group',
    pk: string | number,
    name: string,
  ) {
    this.event(action, undefined, {
      model: { app: 'authentik_core', model_name: modelName, pk, name },
    });
  }

  // ---------------------------------------------------------------- groups

  private findGroup(id: string): AkGroup | undefined {
    if (!UUID_RE.test(id)) return undefined;
    const normalized = id.toLowerCase();
    return [...this.groups.values()].find(
      g => g.uuid.replace(/-/g, '') === normalized.replace(/-/g, ''),
    );
  }

  private groupNotFound(): StandInResponse {
    return detail(404, 'No Group matches the given query.');
  }

  private listGroups(req: StandInRequest, caller: Caller): StandInResponse {
    const q = req.query;
    const errors = new FieldErrors();
    // unsorted here: order() sorts what is left
    let groups = caller === 'admin' ? [...this.groups.values()] : [];

    const name = q.get('name');
    if (name !== null) groups = groups.filter(g => g.name === name);
    const superuser = parseQueryBool(q.get('is_superuser'));
    if (superuser !== undefined)
      groups = groups.filter(g => g.is_superuser === superuser);

    const byPk = q.getAll('members_by_pk');
    if (byPk.length > 0) {
      const pks: number[] = [];
      for (const value of byPk) {
        const pk = Number(value);
        if (!Number.isInteger(pk) || !this.users.has(pk)) {
          errors.add(
            'members_by_pk',
            `Select a valid choice. ${value} is not one of the available choices.`,
          );
        } else pks.push(pk);
      }
      groups = groups.filter(g => g.users.some(u => pks.includes(u)));
    }
    const byUsername = q.getAll('members_by_username');
    if (byUsername.length > 0) {
      const pks: number[] = [];
      for (const value of byUsername) {
        const user = [...this.users.values()].find(u => u.username === value);
        if (!user) {
          errors.add(
            'members_by_username',
            `Select a valid choice. ${value} is not one of the available choices.`,
          );
        } else pks.push(user.pk);
      }
      groups = groups.filter(g => g.users.some(u => pks.includes(u)));
    }
    if (!errors.empty) return jsonResponse(400, errors.errors);
    const attrs = this.attributesFilter(req);
    if (attrs.error) return attrs.error;
    if (attrs.filter) {
      const filter = attrs.filter;
      groups = groups.filter(g => matchesAttributes(g.attributes, filter));
    }

    // searched, ordered and paged on the sort keys; only the page is
    // rendered (rendering looks at every group for children)
    const opts = this.groupRenderOptions(req);
    let keys = groups.map(g => ({
      name: g.name,
      is_superuser: g.is_superuser,
      num_pk: g.num_pk,
      group: g,
    }));
    keys = this.search(req, keys, ['name']);
    keys = this.order(req, keys, ['name', 'is_superuser', 'num_pk'], ['name']);
    return this.paginate(req, keys, k => this.renderGroup(k.group, opts));
  }

  private groupRenderOptions(req: StandInRequest) {
    const flag = (name: string, fallback: string) =>
      String(req.query.get(name) ?? fallback).toLowerCase() === 'true';
    return {
      includeUsers: flag('include_users', 'true'),
      includeChildren: flag('include_children', 'false'),
      includeParents: flag('include_parents', 'false'),
    };
  }

  private getGroup(
    req: StandInRequest,
    caller: Caller,
    id: string,
  ): StandInResponse {
    const group = this.findGroup(id);
    if (!group || caller !== 'admin') return this.groupNotFound();
    return jsonResponse(
      200,
      this.renderGroup(group, this.groupRenderOptions(req)),
    );
  }

  private validateGroupBody(
    body: Obj,
    existing: AkGroup | undefined,
    partial: boolean,
  ): {
    errors?: Record<string, string[]>;
    values: Partial<AkGroup> & { children?: string[] };
  } {
    const errors = new FieldErrors();
    const values: Partial<AkGroup> & { children?: string[] } = {};

    if ('name' in body) {
      const name = body.name;
      if (typeof name !== 'string' && typeof name !== 'number') {
        errors.add('name', 'Not a valid string.');
      } else if (String(name).trim() === '') {
        errors.add('name', 'This field may not be blank.');
      } else {
        const value = String(name).trim();
        const clash = [...this.groups.values()].find(
          g => g.name === value && g !== existing,
        );
        if (clash) errors.add('name', 'Group with this name already exists.');
        else values.name = value;
      }
    } else if (!partial) {
      errors.add('name', 'This field is required.');
    }

    if ('is_superuser' in body) {
      const value = parseDrfBool(body.is_superuser);
      if (value === undefined)
        errors.add('is_superuser', 'Must be a valid boolean.');
      else values.is_superuser = value;
    }

    if ('attributes' in body) {
      if (!isObject(body.attributes)) {
        errors.add(
          'attributes',
          `Expected a dictionary of items but got type "${pyTypeName(
            body.attributes,
          )}".`,
        );
      } else values.attributes = body.attributes;
    }

    const userList = this.pkList(body, 'users', partial, errors);
    if (userList) values.users = userList;

    for (const field of ['parents', 'children'] as const) {
      const list = this.groupList(body, field, partial, errors);
      if (list) {
        if (existing && list.includes(existing.uuid)) {
          errors.add(field, 'Cannot set group as parent of itself.');
        } else values[field] = list;
      }
    }

    if ('roles' in body) {
      if (!Array.isArray(body.roles)) {
        errors.add(
          'roles',
          `Expected a list of items but got type "${pyTypeName(body.roles)}".`,
        );
      } else {
        for (const role of body.roles) {
          errors.add('roles', `Invalid pk "${role}" - object does not exist.`);
        }
      }
    }
    return { errors: errors.empty ? undefined : errors.errors, values };
  }

  /** A list of user pks (PrimaryKeyRelatedField many=True); undefined when absent on PATCH. */
  private pkList(
    body: Obj,
    field: string,
    partial: boolean,
    errors: FieldErrors,
  ): number[] | undefined {
    if (!(field in body)) return partial ? undefined : [];
    const value = body[field];
    if (!Array.isArray(value)) {
      errors.add(
        field,
        `Expected a list of items but got type "${pyTypeName(value)}".`,
      );
      return undefined;
    }
    const result: number[] = [];
    for (const item of value) {
      const pk =
        typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item;
      if (typeof pk !== 'number' || !Number.isInteger(pk)) {
        errors.add(
          field,
          `Incorrect type. Expected pk value, received ${pyTypeName(item)}.`,
        );
      } else if (!this.users.has(pk)) {
        errors.add(field, `Invalid pk "${pk}" - object does not exist.`);
      } else if (!result.includes(pk)) result.push(pk);
    }
    return result.sort((a, b) => a - b);
  }

  /** A list of group uuids; undefined when absent on PATCH. */
  private groupList(
    body: Obj,
    field: string,
    partial: boolean,
    errors: FieldErrors,
  ): string[] | undefined {
    if (!(field in body)) return partial ? undefined : [];
    const value = body[field];
    if (!Array.isArray(value)) {
      errors.add(
        field,
        `Expected a list of items but got type "${pyTypeName(value)}".`,
      );
      return undefined;
    }
    const result: string[] = [];
    for (const item of value) {
      if (typeof item !== 'string' || !UUID_RE.test(item)) {
        errors.add(field, `“${item}” is not a valid UUID.`);
        continue;
      }
      const group = this.findGroup(item);
      if (!group)
        errors.add(field, `Invalid pk "${item}" - object does not exist.`);
      else if (!result.includes(group.uuid)) result.push(group.uuid);
    }
    return result;
  }

  private readBody(
    req: StandInRequest,
  ): { body: Obj; error?: undefined } | { error: StandInResponse } {
    if (req.body.length === 0) return { body: {} };
    const type = header(req, 'content-type') ?? '';
    if (type.includes('application/x-www-form-urlencoded')) {
      return {
        body: Object.fromEntries(
          new URLSearchParams(req.body.toString('utf8')),
        ),
      };
    }
    const parsed = parseJsonBody(req.body);
    if (!parsed.ok) {
      return {
        error: detail(
          400,
          'JSON parse error - Expecting value: line 1 column 1 (char 0)',
        ),
      };
    }
    if (!isObject(parsed.value)) {
      return {
        error: jsonResponse(400, {
          non_field_errors: [
            `Invalid data. Expected a dictionary, but got ${pyTypeName(
              parsed.value,
            )}.`,
          ],
        }),
      };
    }
    return { body: parsed.value };
  }

  private createGroup(req: StandInRequest, caller: Caller): StandInResponse {
    if (caller !== 'admin') return this.forbidden();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    const { errors, values } = this.validateGroupBody(body, undefined, false);
    if (errors) return jsonResponse(400, errors);
    const group: AkGroup = {
      uuid: uuid(),
      num_pk: this.nextGroupPk++,
      name: values.name!,
      is_superuser: values.is_superuser ?? false,
      parents: values.parents ?? [],
      users: values.users ?? [],
      attributes: values.attributes ?? {},
    };
    this.groups.set(group.uuid, group);
    this.setChildren(group, values.children);
    this.modelEvent('model_created', 'group', group.uuid, group.name);
    return jsonResponse(
      201,
      this.renderGroup(group, this.groupRenderOptions(req)),
    );
  }

  private setChildren(group: AkGroup, children: string[] | undefined) {
    if (!children) return;
    for (const g of this.groups.values()) {
      const isChild = children.includes(g.uuid);
      const has = g.parents.includes(group.uuid);
      if (isChild && !has) g.parents.push(group.uuid);
      if (!isChild && has) g.parents = g.parents.filter(p => p !== group.uuid);
    }
  }

  private updateGroup(
    req: StandInRequest,
    caller: Caller,
    id: string,
    partial: boolean,
  ): StandInResponse {
    const group = this.findGroup(id);
    if (!group || caller !== 'admin') return this.groupNotFound();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    const { errors, values } = this.validateGroupBody(body, group, partial);
    if (errors) return jsonResponse(400, errors);
    // plain setattr: attributes and users are replaced, not merged
    if (values.name !== undefined) group.name = values.name;
    if (values.is_superuser !== undefined)
      group.is_superuser = values.is_superuser;
    if (values.attributes !== undefined) group.attributes = values.attributes;
    if (values.users !== undefined) group.users = values.users;
    if (values.parents !== undefined) group.parents = values.parents;
    this.setChildren(group, values.children);
    this.modelEvent('model_updated', 'group', group.uuid, group.name);
    return jsonResponse(
      200,
      this.renderGroup(group, this.groupRenderOptions(req)),
    );
  }

  private deleteGroup(caller: Caller, id: string): StandInResponse {
    const group = this.findGroup(id);
    if (!group || caller !== 'admin') return this.groupNotFound();
    this.groups.delete(group.uuid);
    for (const g of this.groups.values()) {
      g.parents = g.parents.filter(p => p !== group.uuid);
    }
    this.modelEvent('model_deleted', 'group', group.uuid, group.name);
    return emptyResponse(204);
  }

  private groupMember(
    req: StandInRequest,
    caller: Caller,
    id: string,
    add: boolean,
  ): StandInResponse {
    if (caller !== 'admin') return this.forbidden();
    const group = this.findGroup(id);
    if (!group) return this.groupNotFound();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    if (!('pk' in body) || body.pk === null || body.pk === '') {
      return jsonResponse(400, { pk: ['This field is required.'] });
    }
    const pk = typeof body.pk === 'string' ? Number(body.pk) : body.pk;
    if (typeof pk !== 'number' || !Number.isInteger(pk)) {
      return jsonResponse(400, { pk: ['A valid integer is required.'] });
    }
    const user = this.users.get(pk);
    if (!user) return detail(404, 'Not found.');
    if (add && !group.users.includes(pk)) {
      group.users = [...group.users, pk].sort((a, b) => a - b);
    }
    if (!add) group.users = group.users.filter(u => u !== pk);
    return emptyResponse(204);
  }

  // ----------------------------------------------------------------- users

  private userNotFound(): StandInResponse {
    return detail(404, 'No User matches the given query.');
  }

  private findUser(id: string): AkUser | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    return this.users.get(Number(id));
  }

  private listUsers(req: StandInRequest, caller: Caller): StandInResponse {
    const q = req.query;
    const errors = new FieldErrors();
    let users = caller === 'admin' ? this.sortedUsers() : [];

    for (const field of [
      'username',
      'email',
      'name',
      'path',
      'uuid',
    ] as const) {
      const value = q.get(field);
      if (value !== null) users = users.filter(u => u[field] === value);
    }
    const pathPrefix = q.get('path_startswith');
    if (pathPrefix !== null)
      users = users.filter(u => u.path.startsWith(pathPrefix));
    const active = parseQueryBool(q.get('is_active'));
    if (active !== undefined) users = users.filter(u => u.is_active === active);
    const superuser = parseQueryBool(q.get('is_superuser'));
    if (superuser !== undefined) {
      users = users.filter(
        u => this.userGroups(u).some(g => g.is_superuser) === superuser,
      );
    }

    const types = q.getAll('type');
    for (const type of types) {
      if (!USER_TYPES.includes(type)) {
        errors.add(
          'type',
          `Select a valid choice. ${type} is not one of the available choices.`,
        );
      }
    }
    if (types.length > 0) users = users.filter(u => types.includes(u.type));

    const byName = q.getAll('groups_by_name');
    if (byName.length > 0) {
      const uuids: string[] = [];
      for (const value of byName) {
        const group = [...this.groups.values()].find(g => g.name === value);
        if (!group) {
          errors.add(
            'groups_by_name',
            `Select a valid choice. ${value} is not one of the available choices.`,
          );
        } else uuids.push(group.uuid);
      }
      users = users.filter(u =>
        this.userGroups(u).some(g => uuids.includes(g.uuid)),
      );
    }
    const byPk = q.getAll('groups_by_pk');
    if (byPk.length > 0) {
      const uuids: string[] = [];
      for (const value of byPk) {
        const group = this.findGroup(value);
        if (!group) {
          errors.add(
            'groups_by_pk',
            `Select a valid choice. ${value} is not one of the available choices.`,
          );
        } else uuids.push(group.uuid);
      }
      users = users.filter(u =>
        this.userGroups(u).some(g => uuids.includes(g.uuid)),
      );
    }

    for (const field of [
      'date_joined',
      'last_updated',
      'last_login',
    ] as const) {
      for (const [suffix, test] of [
        ['', (a: number, b: number) => a === b],
        ['__gt', (a: number, b: number) => a > b],
        ['__lt', (a: number, b: number) => a < b],
      ] as const) {
        const raw = q.get(`${field}${suffix}`);
        if (raw === null) continue;
        const time = Date.parse(raw);
        if (Number.isNaN(time)) {
          errors.add(`${field}${suffix}`, 'Enter a valid date/time.');
          continue;
        }
        users = users.filter(u => {
          const value = u[field];
          return value !== null && test(Date.parse(value), time);
        });
      }
    }
    const loginNull = parseQueryBool(q.get('last_login__isnull'));
    if (loginNull !== undefined)
      users = users.filter(u => (u.last_login === null) === loginNull);

    if (!errors.empty) return jsonResponse(400, errors.errors);
    const attrs = this.attributesFilter(req);
    if (attrs.error) return attrs.error;
    if (attrs.filter) {
      const filter = attrs.filter;
      users = users.filter(u => matchesAttributes(u.attributes, filter));
    }

    const includeGroups =
      String(q.get('include_groups') ?? 'true').toLowerCase() === 'true';
    const includeRoles =
      String(q.get('include_roles') ?? 'true').toLowerCase() === 'true';
    let rendered = users.map(u =>
      this.renderUser(u, includeGroups, includeRoles),
    );
    rendered = this.search(req, rendered, [
      'email',
      'name',
      'uuid',
      'username',
    ]);
    rendered = this.order(
      req,
      rendered,
      [
        'username',
        'date_joined',
        'last_updated',
        'last_login',
        'pk',
        'name',
        'email',
      ],
      ['username'],
    );
    return this.paginate(req, rendered);
  }

  private getUser(
    req: StandInRequest,
    caller: Caller,
    id: string,
  ): StandInResponse {
    const user = this.findUser(id);
    if (!user || caller !== 'admin') return this.userNotFound();
    const includeGroups =
      String(req.query.get('include_groups') ?? 'true').toLowerCase() ===
      'true';
    const includeRoles =
      String(req.query.get('include_roles') ?? 'true').toLowerCase() === 'true';
    return jsonResponse(
      200,
      this.renderUser(user, includeGroups, includeRoles),
    );
  }

  private validateUserBody(
    body: Obj,
    existing: AkUser | undefined,
    partial: boolean,
  ): {
    errors?: Record<string, string[]>;
    values: Partial<AkUser> & { groups?: string[] };
  } {
    const errors = new FieldErrors();
    const values: Partial<AkUser> & { groups?: string[] } = {};
    const str = (field: 'username' | 'name' | 'email' | 'path') => {
      const value = body[field];
      if (typeof value !== 'string' && typeof value !== 'number') {
        errors.add(field, 'Not a valid string.');
        return undefined;
      }
      return String(value);
    };

    if ('username' in body) {
      const value = str('username');
      if (value !== undefined) {
        if (value.trim() === '')
          errors.add('username', 'This field may not be blank.');
        else if (value.length > 150)
          errors.add(
            'username',
            'Ensure this field has no more than 150 characters.',
          );
        else if (
          [...this.users.values()].some(
            u => u.username === value && u !== existing,
          )
        )
          errors.add('username', 'This field must be unique.');
        else values.username = value;
      }
    } else if (!partial) errors.add('username', 'This field is required.');

    if ('name' in body) {
      const value = str('name');
      if (value !== undefined) values.name = value;
    } else if (!partial) errors.add('name', 'This field is required.');

    if ('email' in body) {
      const value = str('email');
      if (value !== undefined) {
        if (value !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
          errors.add('email', 'Enter a valid email address.');
        else values.email = value;
      }
    }

    if ('is_active' in body) {
      const value = parseDrfBool(body.is_active);
      if (value === undefined)
        errors.add('is_active', 'Must be a valid boolean.');
      else values.is_active = value;
    }

    if ('path' in body) {
      const value = str('path');
      if (value !== undefined) {
        if (value === '') errors.add('path', 'This field may not be blank.');
        else if (value.startsWith('/') || value.endsWith('/'))
          errors.add('path', 'No leading or trailing slashes allowed.');
        else if (value.split('/').some(s => s === ''))
          errors.add('path', 'No empty segments in user path allowed.');
        else values.path = value;
      }
    }

    if ('type' in body) {
      const value = body.type;
      if (typeof value !== 'string' || !USER_TYPES.includes(value)) {
        errors.add('type', `"${value}" is not a valid choice.`);
      } else if (!existing && value === 'internal_service_account') {
        errors.add(
          'type',
          'Setting a user to internal service account is not allowed.',
        );
      } else if (
        existing?.type === 'internal_service_account' &&
        value !== 'internal_service_account'
      ) {
        errors.add(
          'type',
          "Can't change internal service account to other user type.",
        );
      } else values.type = value;
    }

    if ('attributes' in body) {
      if (!isObject(body.attributes)) {
        errors.add(
          'attributes',
          `Expected a dictionary of items but got type "${pyTypeName(
            body.attributes,
          )}".`,
        );
      } else values.attributes = body.attributes;
    }

    const groups = this.groupList(body, 'groups', partial, errors);
    if (groups) values.groups = groups;

    if ('roles' in body) {
      if (!Array.isArray(body.roles)) {
        errors.add(
          'roles',
          `Expected a list of items but got type "${pyTypeName(body.roles)}".`,
        );
      } else {
        for (const role of body.roles) {
          errors.add('roles', `Invalid pk "${role}" - object does not exist.`);
        }
      }
    }

    if (existing?.type === 'internal_service_account' && errors.empty) {
      errors.add(
        'non_field_errors',
        "Can't modify internal service account users",
      );
    }
    return { errors: errors.empty ? undefined : errors.errors, values };
  }

  private setUserGroups(user: AkUser, uuids: string[]) {
    for (const group of this.groups.values()) {
      const member = group.users.includes(user.pk);
      const wanted = uuids.includes(group.uuid);
      if (wanted && !member)
        group.users = [...group.users, user.pk].sort((a, b) => a - b);
      if (!wanted && member)
        group.users = group.users.filter(pk => pk !== user.pk);
    }
  }

  private createUser(req: StandInRequest, caller: Caller): StandInResponse {
    if (caller !== 'admin') return this.forbidden();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    const { errors, values } = this.validateUserBody(body, undefined, false);
    if (errors) return jsonResponse(400, errors);
    const now = nowIso();
    const user: AkUser = {
      pk: this.nextUserPk++,
      uuid: uuid(),
      username: values.username!,
      name: values.name!,
      email: values.email ?? '',
      is_active: values.is_active ?? true,
      last_login: null,
      date_joined: now,
      path: values.path ?? 'users',
      type: values.type ?? 'internal',
      attributes: values.attributes ?? {},
      password_change_date: now,
      last_updated: now,
    };
    this.users.set(user.pk, user);
    this.setUserGroups(user, values.groups ?? []);
    this.modelEvent('model_created', 'user', user.pk, user.username);
    return jsonResponse(201, this.renderUser(user, true, true));
  }

  private updateUser(
    req: StandInRequest,
    caller: Caller,
    id: string,
    partial: boolean,
  ): StandInResponse {
    const user = this.findUser(id);
    if (!user || caller !== 'admin') return this.userNotFound();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    const { errors, values } = this.validateUserBody(body, user, partial);
    if (errors) return jsonResponse(400, errors);
    const { groups, ...fields } = values;
    Object.assign(user, fields);
    if (groups) this.setUserGroups(user, groups);
    user.last_updated = nowIso();
    if (!user.is_active) this.dropSessions(user.pk);
    this.modelEvent('model_updated', 'user', user.pk, user.username);
    return jsonResponse(200, this.renderUser(user, true, true));
  }

  private dropSessions(userPk: number) {
    for (const [key, session] of this.sessions) {
      if (session.user === userPk) this.sessions.delete(key);
    }
  }

  private deleteUser(caller: Caller, id: string): StandInResponse {
    const user = this.findUser(id);
    if (!user || caller !== 'admin') return this.userNotFound();
    this.users.delete(user.pk);
    for (const group of this.groups.values()) {
      group.users = group.users.filter(pk => pk !== user.pk);
    }
    this.dropSessions(user.pk);
    this.devices = this.devices.filter(d => d.user !== user.pk);
    this.modelEvent('model_deleted', 'user', user.pk, user.username);
    return emptyResponse(204);
  }

  private setPassword(
    req: StandInRequest,
    caller: Caller,
    id: string,
  ): StandInResponse {
    if (caller !== 'admin') return this.forbidden();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    if (!('password' in body)) {
      return jsonResponse(400, { password: ['This field is required.'] });
    }
    if (typeof body.password !== 'string') {
      return jsonResponse(400, { password: ['Not a valid string.'] });
    }
    if (body.password.trim() === '') {
      return jsonResponse(400, { password: ['This field may not be blank.'] });
    }
    const user = this.findUser(id);
    if (!user) return this.userNotFound();
    // The endpoint evaluates no password policy (read from source).
    user.password_change_date = nowIso();
    this.event('password_set', user, {});
    return emptyResponse(204);
  }

  private recovery(
    req: StandInRequest,
    caller: Caller,
    id: string,
  ): StandInResponse {
    if (caller !== 'admin') return this.forbidden();
    const read = this.readBody(req);
    if (read.error) return read.error;
    const body = read.body;
    const duration = body.token_duration;
    if (
      duration !== undefined &&
      (typeof duration !== 'string' ||
        !/^(weeks|days|hours|minutes|seconds|milliseconds|microseconds)=\d+(\.\d+)?(;(weeks|days|hours|minutes|seconds|milliseconds|microseconds)=\d+(\.\d+)?)*$/.test(
          duration,
        ))
    ) {
      return jsonResponse(400, {
        token_duration: [
          `${duration} is not in the correct format of 'hours=3;minutes=1'.`,
        ],
      });
    }
    // The brand's recovery flow is checked before the user is looked up.
    if (!this.options.recoveryFlow()) {
      return jsonResponse(400, { non_field_errors: 'No recovery flow set.' });
    }
    const user = this.findUser(id);
    if (!user) return this.userNotFound();
    const token = randomToken(48);
    return jsonResponse(200, {
      link: `${req.baseUrl}/if/flow/default-recovery-flow/?flow_token=${token}`,
    });
  }

  // -------------------------------------------------------------- sessions

  private listSessions(req: StandInRequest, caller: Caller): StandInResponse {
    let sessions = caller === 'admin' ? [...this.sessions.values()] : [];
    const username = req.query.get('user__username');
    if (username !== null) {
      sessions = sessions.filter(
        s => this.users.get(s.user)?.username === username,
      );
    }
    const ip = req.query.get('session__last_ip');
    if (ip !== null) sessions = sessions.filter(s => s.last_ip === ip);
    const agent = req.query.get('session__last_user_agent');
    if (agent !== null)
      sessions = sessions.filter(s => s.last_user_agent === agent);
    let rendered = sessions.map(s => ({
      ...this.renderSession(s),
      __username: this.users.get(s.user)?.username ?? '',
    }));
    rendered = this.search(req, rendered, [
      '__username',
      'last_ip',
      'last_user_agent',
    ]);
    rendered = this.order(
      req,
      rendered,
      ['last_used', 'expires', 'last_ip'],
      ['-last_used'],
    );
    return this.paginate(
      req,
      rendered.map(({ __username, ...s }) => s),
    );
  }

  private getSession(caller: Caller, id: string): StandInResponse {
    const session = this.sessions.get(id.toLowerCase());
    if (!session || caller !== 'admin')
      return detail(404, 'No AuthenticatedSession matches the given query.');
    return jsonResponse(200, this.renderSession(session));
  }

  private deleteSession(caller: Caller, id: string): StandInResponse {
    const session = this.sessions.get(id.toLowerCase());
    if (!session || caller !== 'admin')
      return detail(404, 'No AuthenticatedSession matches the given query.');
    this.sessions.delete(session.uuid);
    return emptyResponse(204);
  }

  // --------------------------------------------------------- authenticators

  private listDevices(req: StandInRequest, caller: Caller): StandInResponse {
    const userParam = req.query.get('user');
    let devices = caller === 'admin' ? this.devices : [];
    if (userParam !== null && userParam !== '') {
      const pk = Number(userParam);
      if (!/^\d+$/.test(userParam)) {
        return jsonResponse(400, {
          user: [`Incorrect type. Expected pk value, received str.`],
        });
      }
      if (!this.users.has(pk)) {
        return jsonResponse(400, {
          user: [`Invalid pk "${userParam}" - object does not exist.`],
        });
      }
      devices = devices.filter(d => d.user === pk);
    }
    // A plain array, not paginated.
    return jsonResponse(
      200,
      devices.map(d => this.renderDevice(d)),
    );
  }

  // ---------------------------------------------------------------- events

  private listEvents(req: StandInRequest, caller: Caller): StandInResponse {
    const q = req.query;
    let events = caller === 'admin' ? [...this.events] : [];
    const action = q.get('action');
    if (action !== null) {
      events = events.filter(e =>
        e.action.toLowerCase().includes(action.toLowerCase()),
      );
    }
    const actions = q.getAll('actions');
    if (actions.length > 0)
      events = events.filter(e => actions.includes(e.action));
    const username = q.get('username');
    if (username !== null) {
      events = events.filter(
        e => e.user.username === username || e.context.username === username,
      );
    }
    const ip = q.get('client_ip');
    if (ip !== null) events = events.filter(e => e.client_ip === ip);
    for (const [param, key] of [
      ['context_model_pk', 'pk'],
      ['context_model_name', 'model_name'],
      ['context_model_app', 'app'],
    ] as const) {
      const value = q.get(param);
      if (value !== null) {
        events = events.filter(e => String(e.context.model?.[key]) === value);
      }
    }
    // created__gt and any other date filter do not exist: ignored like every unknown parameter.
    let rendered: Obj[] = events.map(e => ({ ...e }));
    rendered = this.search(req, rendered, ['action', 'client_ip', 'app']);
    rendered = this.order(
      req,
      rendered,
      ['created', 'action', 'client_ip', 'app'],
      ['-created'],
    );
    return this.paginate(req, rendered);
  }

  private getEvent(caller: Caller, id: string): StandInResponse {
    const event = this.events.find(e => e.pk === id.toLowerCase());
    if (!event || caller !== 'admin')
      return detail(404, 'No Event matches the given query.');
    return jsonResponse(200, event);
  }

  // -------------------------------------------------------- token endpoint

  private tokenError(
    status: number,
    error: string,
    description: string,
  ): StandInResponse {
    this.tokenCounters.rejected++;
    return jsonResponse(
      status,
      { error, error_description: description },
      { 'cache-control': 'no-store' },
    );
  }

  private tokenEndpoint(req: StandInRequest): StandInResponse {
    if (req.method !== 'POST') {
      return emptyResponse(405, { allow: 'POST, OPTIONS' });
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    let clientId = form.get('client_id');
    const basic = header(req, 'authorization');
    if (!clientId && basic?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(basic.slice(6).trim(), 'base64').toString(
        'utf8',
      );
      clientId = decodeURIComponent(decoded.split(':')[0] ?? '');
    }
    // every TokenError is a 400, invalid_client included (TokenView.post)
    if (clientId !== CLIENT_ID) {
      return this.tokenError(
        400,
        'invalid_client',
        'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)',
      );
    }
    const grantType = form.get('grant_type');
    if (grantType !== 'refresh_token') {
      return this.tokenError(
        400,
        'unsupported_grant_type',
        'The authorization grant type is not supported by the authorization server',
      );
    }
    const presented = form.get('refresh_token') ?? '';
    const known = this.refreshTokens.get(presented);
    const isBootstrap = presented === BOOTSTRAP_REFRESH_TOKEN;
    if (!isBootstrap && (!known || known.state !== 'active')) {
      return this.tokenError(
        400,
        'invalid_grant',
        'The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client',
      );
    }
    // Requested scopes are cut down to the provider's; none requested: the
    // refresh token's. They must lie within the refresh token's and include
    // offline_access. The new tokens keep the refresh token's scope.
    const scope = known?.scope ?? DEFAULT_SCOPE;
    const granted = scope.split(' ');
    const providerScopes = DEFAULT_SCOPE.split(' ');
    const requested = (form.get('scope') ?? '')
      .split(/\s+/)
      .filter(x => x && providerScopes.includes(x));
    const effective = requested.length > 0 ? requested : granted;
    if (
      effective.some(x => !granted.includes(x)) ||
      !effective.includes('offline_access')
    ) {
      return this.tokenError(
        400,
        'invalid_scope',
        'The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner',
      );
    }
    // Rotation: the presented token is revoked, a new one is issued.
    if (known) known.state = 'used';
    const refreshToken = randomToken(48);
    this.refreshTokens.set(refreshToken, { state: 'active', scope });
    const accessToken = randomToken(32);
    const ttl = this.options.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, {
      expiresAt: Date.now() + ttl * 1000,
      scope,
    });
    this.tokenCounters.grants++;
    return jsonResponse(
      200,
      {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttl,
        refresh_token: refreshToken,
        scope,
        id_token: this.idToken(req, ttl),
      },
      { 'cache-control': 'no-store' },
    );
  }

  private idToken(req: StandInRequest, ttl: number): string {
    const now = Math.floor(Date.now() / 1000);
    const enc = (value: Obj) =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = enc({ alg: 'HS256', typ: 'JWT' });
    const payload = enc({
      iss: `${req.baseUrl}/application/o/dezky-portal-ocis/`,
      sub: 'dezky-portal-service',
      aud: CLIENT_ID,
      exp: now + ttl,
      iat: now,
      auth_time: now,
      preferred_username: 'dezky-portal-service',
      name: 'Dezky Portal',
      email: 'portal-service@dezky.test',
    });
    const signature = createHmac('sha256', this.idTokenKey)
      .update(`${head}.${payload}`)
      .digest('base64url');
    return `${head}.${payload}.${signature}`;
  }
}
