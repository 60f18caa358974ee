/*
 * OCIS stand-in: the Libre Graph endpoints the portal uses — spaces (drives)
 * with their lifecycle and quota, space members (v1beta1 invite/permissions),
 * users and groups — behind the proxy's bearer-token check.
 *
 * Spec: /work/shared/design/apis/ocis-libregraph.md; behaviour read from
 * owncloud/ocis services/graph/pkg/service/v0/drives.go @ 5327f907.
 */
import {
  emptyResponse,
  goBoolTrue,
  header,
  isObject,
  jsonResponse,
  nowIso,
  nowIsoSeconds,
  Obj,
  parseJsonBody,
  randomToken,
  segments,
  StandIn,
  StandInRequest,
  StandInResponse,
  uuid,
} from './http';

const STORAGE_ID = 'storage-users-1';
/** Free space the storage reports for spaces without a quota. */
const FREE_BYTES = 1024 ** 4;
const INVALID_SPACE_NAME_CHARS = [
  '/',
  '\\',
  '.',
  ':',
  '?',
  '*',
  '"',
  '>',
  '<',
  '|',
];
const MAX_SPACE_NAME_BYTES = 255;

/** The user every access token of the token endpoint stands for (OCIS role admin). */
export const OCIS_SERVICE_USER = {
  id: '5b7ce0a5-4c3e-4d2e-9c1f-0d1e2f3a4b5c',
  displayName: 'Dezky Portal',
  onPremisesSamAccountName: 'dezky-portal-service',
  mail: 'portal-service@dezky.test',
};

export const SPACE_ROLES = {
  viewer: 'a8d5fe5e-96e3-418d-825b-534dbdf22b99',
  editor: '58c63c02-1d89-4572-916a-870abc5a1b7d',
  editorWithoutVersions: '3284f2d5-0070-4ad8-ac40-c247f7c1fb27',
  manager: '312c0871-5ef7-4b3a-85b6-0e4074c64049',
} as const;

const ROLE_DEFINITIONS: Record<
  string,
  {
    displayName: string;
    description: string;
    legacy: string;
    weight: number;
    actions: string[];
  }
> = {
  [SPACE_ROLES.viewer]: {
    displayName: 'Can view',
    description: 'View and download.',
    legacy: 'viewer',
    weight: 1,
    actions: [
      'libre.graph/driveItem/path/read',
      'libre.graph/driveItem/quota/read',
      'libre.graph/driveItem/content/read',
      'libre.graph/driveItem/children/read',
      'libre.graph/driveItem/deleted/read',
      'libre.graph/driveItem/basic/read',
    ],
  },
  [SPACE_ROLES.editorWithoutVersions]: {
    displayName: 'Can edit without versions',
    description: 'View, download, upload, edit, add and delete.',
    legacy: 'editor',
    weight: 2,
    actions: [
      'libre.graph/driveItem/children/create',
      'libre.graph/driveItem/standard/delete',
      'libre.graph/driveItem/path/read',
      'libre.graph/driveItem/quota/read',
      'libre.graph/driveItem/content/read',
      'libre.graph/driveItem/upload/create',
      'libre.graph/driveItem/children/read',
      'libre.graph/driveItem/deleted/read',
      'libre.graph/driveItem/path/update',
      'libre.graph/driveItem/deleted/update',
      'libre.graph/driveItem/basic/read',
    ],
  },
  [SPACE_ROLES.editor]: {
    displayName: 'Can edit',
    description:
      'View, download, upload, edit, add, delete including the history.',
    legacy: 'editor',
    weight: 3,
    actions: [
      'libre.graph/driveItem/children/create',
      'libre.graph/driveItem/standard/delete',
      'libre.graph/driveItem/path/read',
      'libre.graph/driveItem/quota/read',
      'libre.graph/driveItem/content/read',
      'libre.graph/driveItem/upload/create',
      'libre.graph/driveItem/children/read',
      'libre.graph/driveItem/deleted/read',
      'libre.graph/driveItem/path/update',
      'libre.graph/driveItem/deleted/update',
      'libre.graph/driveItem/versions/read',
      'libre.graph/driveItem/versions/update',
      'libre.graph/driveItem/basic/read',
    ],
  },
  [SPACE_ROLES.manager]: {
    displayName: 'Can manage',
    description:
      'View, download, upload, edit, add, delete and manage members.',
    legacy: 'manager',
    weight: 4,
    actions: [
      'libre.graph/driveItem/permissions/create',
      'libre.graph/driveItem/children/create',
      'libre.graph/driveItem/standard/delete',
      'libre.graph/driveItem/path/read',
      'libre.graph/driveItem/quota/read',
      'libre.graph/driveItem/content/read',
      'libre.graph/driveItem/upload/create',
      'libre.graph/driveItem/permissions/read',
      'libre.graph/driveItem/children/read',
      'libre.graph/driveItem/versions/read',
      'libre.graph/driveItem/deleted/read',
      'libre.graph/driveItem/path/update',
      'libre.graph/driveItem/permissions/delete',
      'libre.graph/driveItem/deleted/delete',
      'libre.graph/driveItem/versions/update',
      'libre.graph/driveItem/deleted/update',
      'libre.graph/driveItem/basic/read',
      'libre.graph/driveItem/permissions/update',
      'libre.graph/driveItem/permissions/deny',
    ],
  },
};

/** File/folder roles of the spec examples: valid roles, not for a space root. */
const FILE_ROLES = [
  'b1e2218d-eef8-4d4c-b82d-0f1a1b48f3b5',
  'fb6c3e19-e378-47e5-b277-9732f9de6e21',
  '2d00ce52-1fc2-4dbc-8b95-a73b73395f5a',
  '1c996275-f1c9-4e71-abdf-a42f6495e960',
];

const DRIVE_FIELDS = [
  'id',
  'createdBy',
  'createdDateTime',
  'description',
  'eTag',
  'lastModifiedBy',
  'lastModifiedDateTime',
  'name',
  'parentReference',
  'webUrl',
  'driveType',
  'driveAlias',
  'owner',
  'quota',
  'items',
  'root',
  'special',
  '@libre.graph.hasTrashedItems',
];
const DRIVE_UPDATE_FIELDS = [
  'description',
  'driveAlias',
  'name',
  'quota',
  'root',
  'special',
];
const QUOTA_FIELDS = ['remaining', 'state', 'total', 'used', 'deleted'];
const USER_CREATE_FIELDS = [
  'id',
  'displayName',
  'onPremisesSamAccountName',
  'mail',
  'passwordProfile',
  'accountEnabled',
  'userType',
  'surname',
  'givenName',
  'preferredLanguage',
  'identities',
  'memberOf',
  'drives',
  'drive',
  'appRoleAssignments',
  'externalID',
];
const GROUP_CREATE_FIELDS = [
  'id',
  'displayName',
  'description',
  'members',
  'members@odata.bind',
  'groupTypes',
  'onPremisesSamAccountName',
  'onPremisesDomainName',
];

interface Permission {
  id: string;
  kind: 'user' | 'group';
  objectId: string;
  roleId: string;
  expirationDateTime?: string;
  invitedBy: string;
}

interface Drive {
  spaceId: string;
  driveType: 'project' | 'personal';
  name: string;
  description?: string;
  driveAlias?: string;
  quotaTotal: number | null;
  used: number;
  disabled: boolean;
  lastModified: string;
  ownerId: string;
  etag: string;
  permissions: Permission[];
}

interface OcUser {
  id: string;
  displayName: string;
  onPremisesSamAccountName: string;
  mail?: string;
  accountEnabled: boolean;
  userType: string;
  surname?: string;
  givenName?: string;
}

interface OcGroup {
  id: string;
  displayName: string;
  description?: string;
  members: string[];
}

class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function capitalize(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export function graphError(
  status: number,
  code: string,
  message: string,
): StandInResponse {
  return jsonResponse(status, {
    error: {
      code,
      message: capitalize(message),
      innererror: { date: nowIsoSeconds(), 'request-id': uuid() },
    },
  });
}

/** -1, 0 or 1 by UTF-16 code units (Go compares bytes; equal for ASCII). */
function compareStrings(x: string, y: string): number {
  if (x < y) return -1;
  return x > y ? 1 : 0;
}

function quotaState(total: number, used: number): string {
  const percent = (used / total) * 100;
  if (percent <= 75) return 'normal';
  if (percent <= 90) return 'nearing';
  if (percent <= 99) return 'critical';
  return 'exceeded';
}

function validateSpaceName(name: string): string | undefined {
  if (name === '') return 'spacename must not be empty';
  if (Buffer.byteLength(name) > MAX_SPACE_NAME_BYTES)
    return `spacename must be smaller than ${MAX_SPACE_NAME_BYTES}`;
  if (INVALID_SPACE_NAME_CHARS.some(c => name.includes(c)))
    return `spacenames must not contain [${INVALID_SPACE_NAME_CHARS.join(
      ' ',
    )}]`;
  return undefined;
}

/** A body parsed with Go's DisallowUnknownFields. */
function strictBody(
  body: Buffer,
  allowed: string[],
): { value: Obj } | { unknown?: string; invalid: true } {
  const parsed = parseJsonBody(body);
  if (!parsed.ok || !isObject(parsed.value)) return { invalid: true };
  const unknown = Object.keys(parsed.value).find(k => !allowed.includes(k));
  if (unknown !== undefined) return { unknown, invalid: true };
  return { value: parsed.value };
}

/** The minimal OData $filter forms OCIS accepts on drives: a single `<field> eq '<value>'`. */
function parseDriveFilter(
  filter: string,
): { field: string; value: string } | GraphError {
  const single = /^\s*([A-Za-z][\w/]*)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(
    filter,
  );
  if (single) return { field: single[1], value: single[2].replace(/''/g, "'") };
  const logical = /\s(and|or)\s/i.exec(filter);
  if (logical) {
    return new GraphError(
      501,
      'notSupported',
      `unsupported filter operand: ${logical[1].toLowerCase()}`,
    );
  }
  const other = /^\s*[A-Za-z][\w/]*\s+(ne|gt|ge|lt|le|has|in)\s+\S/.exec(
    filter,
  );
  if (other) {
    return new GraphError(
      501,
      'notSupported',
      `unsupported filter operand: ${other[1]}`,
    );
  }
  return new GraphError(400, 'invalidRequest', `invalid filter: ${filter}`);
}

export interface OcisOptions {
  validateAccessToken(token: string): boolean;
}

export class OcisStandIn implements StandIn {
  private drives = new Map<string, Drive>();
  private users = new Map<string, OcUser>();
  private groups = new Map<string, OcGroup>();

  constructor(private readonly options: OcisOptions) {
    this.reset();
  }

  reset(): void {
    this.drives.clear();
    this.users.clear();
    this.groups.clear();
    this.users.set(OCIS_SERVICE_USER.id, {
      ...OCIS_SERVICE_USER,
      accountEnabled: true,
      userType: 'Member',
    });
  }

  stop(): void {}

  tooManyRequests(retryAfterSeconds: number): StandInResponse {
    const response = graphError(
      429,
      'serviceNotAvailable',
      `too many requests, retry after ${retryAfterSeconds} seconds`,
    );
    response.headers = {
      ...response.headers,
      'retry-after': String(retryAfterSeconds),
    };
    return response;
  }

  serverError(): StandInResponse {
    return graphError(500, 'generalException', 'internal server error');
  }

  state() {
    return {
      drives: [...this.drives.values()].map(d =>
        this.renderDrive(d, 'v1.0', this.baseUrl),
      ),
      users: [...this.users.values()]
        .filter(u => u.id !== OCIS_SERVICE_USER.id)
        .map(u => this.renderUser(u, false)),
      groups: [...this.groups.values()].map(g => this.renderGroup(g, false)),
    };
  }

  /** The stand-in's own URL (set by the platform once listening), for URLs in state(). */
  baseUrl = '';

  seedUsage(driveId: string, usedBytes: number) {
    const drive = this.findDrive(driveId);
    if (!drive) throw new Error(`no OCIS drive ${driveId}`);
    if (!Number.isInteger(usedBytes) || usedBytes < 0)
      throw new Error('usedBytes must be a non-negative integer');
    drive.used = usedBytes;
  }

  // ---------------------------------------------------------------- routing

  handle(req: StandInRequest): StandInResponse {
    if (!req.path.startsWith('/graph/')) {
      return {
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '404 page not found\n',
      };
    }
    // proxy: a valid bearer token or 401 with an empty body
    const auth = header(req, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    if (!match || !this.options.validateAccessToken(match[1])) {
      return emptyResponse(401);
    }
    try {
      return this.route(req);
    } catch (e) {
      if (e instanceof GraphError)
        return graphError(e.status, e.code, e.message);
      throw e;
    }
  }

  private route(req: StandInRequest): StandInResponse {
    const parts = segments(req.path);
    const [, version, ...rest] = parts;
    const m = req.method;
    const notAllowed = emptyResponse(405);
    if (version !== 'v1.0' && version !== 'v1beta1') {
      return {
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '404 page not found\n',
      };
    }
    const [a, b, c, d, e] = rest;
    if (a === 'me' && b === 'drives' && rest.length === 2) {
      return m === 'GET' ? this.listDrives(req, version, true) : notAllowed;
    }
    if (a === 'drives') {
      if (rest.length === 1) {
        if (m === 'GET') return this.listDrives(req, version, false);
        if (m === 'POST' && version === 'v1.0') return this.createDrive(req);
        return notAllowed;
      }
      if (rest.length === 2 && version === 'v1.0') {
        if (m === 'GET') return this.getDrive(req, b);
        if (m === 'PATCH') return this.updateDrive(req, b);
        if (m === 'DELETE') return this.deleteDrive(req, b);
        return notAllowed;
      }
      if (version === 'v1beta1' && c === 'root') {
        if (d === 'invite' && rest.length === 4) {
          return m === 'POST' ? this.invite(req, b) : notAllowed;
        }
        if (d === 'permissions' && rest.length === 4) {
          return m === 'GET' ? this.listPermissions(b) : notAllowed;
        }
        if (d === 'permissions' && rest.length === 5) {
          if (m === 'PATCH') return this.updatePermission(req, b, e);
          if (m === 'DELETE') return this.deletePermission(b, e);
          return notAllowed;
        }
      }
    }
    if (a === 'users' && version === 'v1.0') {
      if (rest.length === 1) {
        if (m === 'GET') return this.listUsers(req);
        if (m === 'POST') return this.createUser(req);
        return notAllowed;
      }
      if (rest.length === 2) {
        if (m === 'GET') return this.getUser(req, b);
        if (m === 'PATCH') return this.updateUser(req, b);
        if (m === 'DELETE') return this.deleteUser(b);
        return notAllowed;
      }
    }
    if (a === 'groups' && version === 'v1.0') {
      if (rest.length === 1) {
        if (m === 'GET') return this.listGroups(req);
        if (m === 'POST') return this.createGroup(req);
        return notAllowed;
      }
      if (rest.length === 2) {
        if (m === 'GET') return this.getGroup(req, b);
        if (m === 'PATCH') return this.updateGroup(req, b);
        if (m === 'DELETE') return this.deleteGroup(b);
        return notAllowed;
      }
      if (c === 'members' && rest.length === 3) {
        return m === 'GET' ? this.listMembers(b) : notAllowed;
      }
      if (c === 'members' && d === '$ref' && rest.length === 4) {
        return m === 'POST' ? this.addMember(req, b) : notAllowed;
      }
      if (c === 'members' && e === '$ref' && rest.length === 5) {
        return m === 'DELETE' ? this.removeMember(b, d) : notAllowed;
      }
    }
    return {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '404 page not found\n',
    };
  }

  // ---------------------------------------------------------------- drives

  private driveId(drive: Drive): string {
    return `${STORAGE_ID}$${drive.spaceId}`;
  }

  /** A drive id `<storage>$<space>[!<node>]`; undefined when malformed. */
  private parseDriveId(id: string): string | undefined {
    const m = /^([^$!]+)\$([^$!]+)(?:!([^$!]*))?$/.exec(id);
    return m ? m[2] : undefined;
  }

  private findDrive(id: string): Drive | undefined {
    const spaceId = this.parseDriveId(id);
    return spaceId ? this.drives.get(spaceId) : undefined;
  }

  /** A drive for the handlers: 400 when the id is malformed, 404 when unknown. */
  private requireDrive(id: string, malformedStatus = 400): Drive {
    if (!this.parseDriveId(id)) {
      throw new GraphError(
        malformedStatus,
        'invalidRequest',
        `invalid driveID or itemID: ${id}`,
      );
    }
    const drive = this.findDrive(id);
    if (!drive) throw new GraphError(404, 'itemNotFound', 'drive not found');
    return drive;
  }

  private touch(drive: Drive) {
    drive.lastModified = nowIso();
    drive.etag = `"${randomToken(12)}"`;
  }

  private isMember(drive: Drive, userId: string): boolean {
    if (drive.driveType === 'personal') return drive.ownerId === userId;
    return drive.permissions.some(
      p =>
        (p.kind === 'user' && p.objectId === userId) ||
        (p.kind === 'group' &&
          this.groups.get(p.objectId)?.members.includes(userId)),
    );
  }

  private identity(kind: 'user' | 'group', id: string): Obj {
    const displayName =
      kind === 'user'
        ? this.users.get(id)?.displayName ?? ''
        : this.groups.get(id)?.displayName ?? '';
    return { displayName, id };
  }

  private renderPermissionV1(p: Permission): Obj {
    const out: Obj = {
      grantedToIdentities: [{ [p.kind]: this.identity(p.kind, p.objectId) }],
      id: p.id,
      roles: [ROLE_DEFINITIONS[p.roleId]?.legacy ?? 'viewer'],
    };
    if (p.expirationDateTime) out.expirationDateTime = p.expirationDateTime;
    return out;
  }

  private renderPermissionBeta(p: Permission): Obj {
    const out: Obj = {
      id: p.id,
      roles: [p.roleId],
      grantedToV2: { [p.kind]: this.identity(p.kind, p.objectId) },
    };
    if (p.expirationDateTime) out.expirationDateTime = p.expirationDateTime;
    return out;
  }

  private renderDrive(drive: Drive, version: string, base: string): Obj {
    const id = this.driveId(drive);
    const root: Obj = {
      eTag: drive.etag,
      id,
      permissions: drive.permissions.map(p =>
        version === 'v1.0'
          ? this.renderPermissionV1(p)
          : this.renderPermissionBeta(p),
      ),
      webDavUrl: `${base}/dav/spaces/${id}`,
    };
    const total = drive.quotaTotal ?? 0;
    let quota: Obj;
    if (drive.disabled) {
      root.deleted = { state: 'trashed' };
      quota = { total };
    } else {
      const remaining =
        total > 0 ? Math.max(total - drive.used, 0) : FREE_BYTES - drive.used;
      quota = {
        remaining,
        state: quotaState(total !== 0 ? total : remaining, drive.used),
        total,
        used: drive.used,
      };
    }
    const out: Obj = {
      driveAlias: drive.driveAlias,
      driveType: drive.driveType,
      id,
      lastModifiedDateTime: drive.lastModified,
      name: drive.name,
      owner: {
        user: {
          displayName: '',
          id: drive.driveType === 'project' ? drive.spaceId : drive.ownerId,
        },
      },
      quota,
      root,
      webUrl: `${base}/f/${id}`,
    };
    if (drive.description !== undefined) out.description = drive.description;
    if (drive.driveAlias === undefined) delete out.driveAlias;
    return out;
  }

  private listDrives(
    req: StandInRequest,
    version: string,
    mine: boolean,
  ): StandInResponse {
    let drives = [...this.drives.values()];
    if (mine)
      drives = drives.filter(d => this.isMember(d, OCIS_SERVICE_USER.id));
    const filter = req.query.get('$filter');
    if (filter !== null && filter !== '') {
      const parsed = parseDriveFilter(filter);
      if (parsed instanceof GraphError) throw parsed;
      if (parsed.field === 'driveType') {
        drives = drives.filter(d => d.driveType === parsed.value);
      } else if (parsed.field === 'id') {
        drives = drives.filter(d => this.driveId(d) === parsed.value);
      }
      // an eq on any other field is silently ignored
    }
    const orderby = req.query.get('$orderby');
    if (orderby) {
      const items = orderby.split(',');
      if (items.length === 1) {
        const [field, direction] = items[0].trim().split(/\s+/);
        let less: (a: Drive, b: Drive) => number;
        if (field === 'name') {
          less = (a, b) =>
            compareStrings(a.name.toLowerCase(), b.name.toLowerCase());
        } else if (field === 'lastModifiedDateTime') {
          less = (a, b) =>
            Date.parse(a.lastModified) - Date.parse(b.lastModified);
        } else {
          throw new GraphError(
            400,
            'invalidRequest',
            `we do not support <${field}> as a order parameter`,
          );
        }
        drives.sort(direction === 'desc' ? (a, b) => less(b, a) : less);
      }
    }
    // no paging; the body is JSON null when the storage reports none found
    if (drives.length === 0) return jsonResponse(200, null);
    return jsonResponse(200, {
      value: drives.map(d => this.renderDrive(d, version, req.baseUrl)),
    });
  }

  private createDrive(req: StandInRequest): StandInResponse {
    const body = strictBody(req.body, DRIVE_FIELDS);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        'invalid body schema definition',
      );
    }
    const value = body.value;
    const name = typeof value.name === 'string' ? value.name.trim() : '';
    const nameError = validateSpaceName(name);
    if (nameError) {
      throw new GraphError(
        400,
        'invalidRequest',
        `invalid spacename: ${nameError}`,
      );
    }
    const driveType = value.driveType ?? '';
    if (driveType !== '' && driveType !== 'project') {
      throw new GraphError(
        400,
        'invalidRequest',
        'drives of this type cannot be created via this api',
      );
    }
    let quotaTotal: number | null = null;
    if (value.quota !== undefined) {
      if (
        !isObject(value.quota) ||
        Object.keys(value.quota).some(k => !QUOTA_FIELDS.includes(k))
      ) {
        throw new GraphError(
          400,
          'invalidRequest',
          'invalid body schema definition',
        );
      }
      if (typeof value.quota.total === 'number' && value.quota.total >= 0) {
        quotaTotal = Math.floor(value.quota.total);
      }
    }
    const spaceId = uuid();
    const drive: Drive = {
      spaceId,
      driveType: 'project',
      name,
      description:
        typeof value.description === 'string' ? value.description : undefined,
      driveAlias:
        typeof value.driveAlias === 'string'
          ? value.driveAlias
          : `project/${name.toLowerCase().replace(/\s+/g, '-')}`,
      quotaTotal,
      used: 0,
      disabled: false,
      lastModified: nowIso(),
      ownerId: spaceId,
      etag: `"${randomToken(12)}"`,
      // the creator is the space's first manager
      permissions: [
        {
          id: `u:${OCIS_SERVICE_USER.id}`,
          kind: 'user',
          objectId: OCIS_SERVICE_USER.id,
          roleId: SPACE_ROLES.manager,
          invitedBy: OCIS_SERVICE_USER.id,
        },
      ],
    };
    this.drives.set(spaceId, drive);
    return jsonResponse(201, this.renderDrive(drive, 'v1.0', req.baseUrl));
  }

  private getDrive(req: StandInRequest, id: string): StandInResponse {
    const drive = this.requireDrive(id);
    return jsonResponse(200, this.renderDrive(drive, 'v1.0', req.baseUrl));
  }

  private updateDrive(req: StandInRequest, id: string): StandInResponse {
    if (!this.parseDriveId(id)) {
      throw new GraphError(
        400,
        'invalidRequest',
        `invalid driveID or itemID: ${id}`,
      );
    }
    const parsed = parseJsonBody(
      req.body.length ? req.body : Buffer.from('{}'),
    );
    if (!parsed.ok || !isObject(parsed.value)) {
      throw new GraphError(
        400,
        'invalidRequest',
        'invalid request body: error: invalid character in JSON body',
      );
    }
    const value = parsed.value;
    const unknown = Object.keys(value).find(
      k => !DRIVE_UPDATE_FIELDS.includes(k),
    );
    if (unknown !== undefined) {
      throw new GraphError(
        400,
        'invalidRequest',
        `invalid request body: error: json: unknown field "${unknown}"`,
      );
    }
    const restore = goBoolTrue(header(req, 'restore'));
    let name: string | undefined;
    if (typeof value.name === 'string' && value.name !== '') {
      name = value.name.trim();
      const nameError = validateSpaceName(name);
      if (nameError) throw new GraphError(400, 'generalException', nameError);
    }
    let quotaTotal: number | undefined;
    if (value.quota !== undefined && value.quota !== null) {
      if (
        !isObject(value.quota) ||
        Object.keys(value.quota).some(k => !QUOTA_FIELDS.includes(k))
      ) {
        throw new GraphError(
          400,
          'invalidRequest',
          'invalid request body: error: json: unknown field in quota',
        );
      }
      if (value.quota.total !== undefined) {
        if (typeof value.quota.total !== 'number' || value.quota.total < 0) {
          throw new GraphError(400, 'invalidRequest', 'invalid quota total');
        }
        quotaTotal = Math.floor(value.quota.total);
      }
    }
    const drive = this.findDrive(id);
    // unknown, not permitted, or disabled (not restored) → 404
    if (!drive || (drive.disabled && !restore)) {
      throw new GraphError(404, 'itemNotFound', 'drive not found');
    }
    if (restore) drive.disabled = false;
    if (name !== undefined) drive.name = name;
    if (typeof value.description === 'string')
      drive.description = value.description;
    if (typeof value.driveAlias === 'string')
      drive.driveAlias = value.driveAlias;
    if (quotaTotal !== undefined) drive.quotaTotal = quotaTotal;
    this.touch(drive);
    return jsonResponse(200, this.renderDrive(drive, 'v1.0', req.baseUrl));
  }

  private deleteDrive(req: StandInRequest, id: string): StandInResponse {
    const drive = this.requireDrive(id);
    if (goBoolTrue(header(req, 'purge'))) {
      if (!drive.disabled) {
        throw new GraphError(
          400,
          'invalidRequest',
          "error: bad request: can't purge enabled space",
        );
      }
      this.drives.delete(drive.spaceId);
      return emptyResponse(204);
    }
    // disable: still listed, root.deleted.state "trashed"
    drive.disabled = true;
    this.touch(drive);
    return emptyResponse(204);
  }

  // --------------------------------------------------------- space members

  private roleCheck(roleId: unknown): string {
    if (typeof roleId !== 'string') {
      throw new GraphError(400, 'invalidRequest', 'missing role');
    }
    if (FILE_ROLES.includes(roleId)) {
      throw new GraphError(
        400,
        'invalidRequest',
        'role not applicable to this resource',
      );
    }
    if (!ROLE_DEFINITIONS[roleId]) {
      throw new GraphError(400, 'invalidRequest', 'role not enabled');
    }
    return roleId;
  }

  private invite(req: StandInRequest, id: string): StandInResponse {
    const drive = this.requireDrive(id, 422);
    const parsed = parseJsonBody(req.body);
    if (!parsed.ok || !isObject(parsed.value)) {
      throw new GraphError(
        400,
        'invalidRequest',
        'invalid body schema definition',
      );
    }
    const body = parsed.value;
    if (drive.driveType !== 'project') {
      throw new GraphError(400, 'invalidRequest', 'unsupported space type');
    }
    if (drive.disabled)
      throw new GraphError(404, 'itemNotFound', 'drive not found');
    const recipients = body.recipients;
    if (
      !Array.isArray(recipients) ||
      recipients.length === 0 ||
      !isObject(recipients[0])
    ) {
      throw new GraphError(400, 'invalidRequest', 'missing recipients');
    }
    // only the first recipient is used
    const recipient = recipients[0];
    const kind =
      recipient['@libre.graph.recipient.type'] === 'group' ? 'group' : 'user';
    const objectId = recipient.objectId;
    if (typeof objectId !== 'string') {
      throw new GraphError(400, 'invalidRequest', 'missing recipient objectId');
    }
    if (kind === 'user' && !this.users.has(objectId)) {
      throw new GraphError(
        400,
        'invalidRequest',
        `user not found: ${objectId}`,
      );
    }
    if (kind === 'group' && !this.groups.has(objectId)) {
      throw new GraphError(
        400,
        'invalidRequest',
        `group not found: ${objectId}`,
      );
    }
    const roles = body.roles;
    if (!Array.isArray(roles) || roles.length === 0) {
      throw new GraphError(400, 'invalidRequest', 'missing role');
    }
    const roleId = this.roleCheck(roles[0]);
    let expiration: string | undefined;
    if (body.expirationDateTime !== undefined) {
      const time = Date.parse(String(body.expirationDateTime));
      if (Number.isNaN(time)) {
        throw new GraphError(
          400,
          'invalidRequest',
          'invalid expirationDateTime',
        );
      }
      if (time <= Date.now()) {
        throw new GraphError(
          400,
          'invalidRequest',
          'expiration date is in the past',
        );
      }
      expiration = new Date(time).toISOString();
    }
    const permissionId = `${kind === 'user' ? 'u' : 'g'}:${objectId}`;
    if (drive.permissions.some(p => p.id === permissionId)) {
      throw new GraphError(
        409,
        'nameAlreadyExists',
        'error: already exists: grant already exists',
      );
    }
    const permission: Permission = {
      id: permissionId,
      kind,
      objectId,
      roleId,
      expirationDateTime: expiration,
      invitedBy: OCIS_SERVICE_USER.id,
    };
    drive.permissions.push(permission);
    this.touch(drive);
    return jsonResponse(200, {
      value: [
        {
          ...this.renderPermissionBeta(permission),
          invitation: {
            invitedBy: {
              user: {
                displayName: OCIS_SERVICE_USER.displayName,
                id: OCIS_SERVICE_USER.id,
              },
            },
          },
        },
      ],
    });
  }

  private listPermissions(id: string): StandInResponse {
    const drive = this.requireDrive(id, 422);
    const roles = Object.entries(ROLE_DEFINITIONS).map(([roleId, r]) => ({
      '@libre.graph.weight': r.weight,
      description: r.description,
      displayName: r.displayName,
      id: roleId,
    }));
    const actions = [
      ...new Set(Object.values(ROLE_DEFINITIONS).flatMap(r => r.actions)),
    ];
    return jsonResponse(200, {
      '@libre.graph.permissions.actions.allowedValues': actions,
      '@libre.graph.permissions.roles.allowedValues': roles,
      value: drive.permissions.map(p => this.renderPermissionBeta(p)),
    });
  }

  private updatePermission(
    req: StandInRequest,
    id: string,
    permissionId: string,
  ): StandInResponse {
    const drive = this.requireDrive(id, 422);
    const permission = drive.permissions.find(p => p.id === permissionId);
    if (!permission)
      throw new GraphError(404, 'itemNotFound', 'permission not found');
    const body = strictBody(req.body, [
      'roles',
      'expirationDateTime',
      'password',
    ]);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        body.unknown
          ? `invalid request body: error: json: unknown field "${body.unknown}"`
          : 'invalid request body',
      );
    }
    const value = body.value;
    if (value.roles !== undefined) {
      if (!Array.isArray(value.roles) || value.roles.length !== 1) {
        throw new GraphError(
          400,
          'invalidRequest',
          'exactly one role is required',
        );
      }
      permission.roleId = this.roleCheck(value.roles[0]);
    }
    if (value.expirationDateTime !== undefined) {
      if (value.expirationDateTime === null)
        permission.expirationDateTime = undefined;
      else {
        const time = Date.parse(String(value.expirationDateTime));
        if (Number.isNaN(time) || time <= Date.now()) {
          throw new GraphError(
            400,
            'invalidRequest',
            'expiration date is in the past',
          );
        }
        permission.expirationDateTime = new Date(time).toISOString();
      }
    }
    this.touch(drive);
    return jsonResponse(200, this.renderPermissionBeta(permission));
  }

  private deletePermission(id: string, permissionId: string): StandInResponse {
    const drive = this.requireDrive(id, 422);
    const index = drive.permissions.findIndex(p => p.id === permissionId);
    if (index < 0)
      throw new GraphError(404, 'itemNotFound', 'permission not found');
    drive.permissions.splice(index, 1);
    this.touch(drive);
    return emptyResponse(204);
  }

  // ----------------------------------------------------------------- users

  private renderUser(user: OcUser, expandMemberOf: boolean): Obj {
    const out: Obj = {
      accountEnabled: user.accountEnabled,
      displayName: user.displayName,
      id: user.id,
      onPremisesSamAccountName: user.onPremisesSamAccountName,
      userType: user.userType,
    };
    if (user.mail !== undefined) out.mail = user.mail;
    if (user.surname !== undefined) out.surname = user.surname;
    if (user.givenName !== undefined) out.givenName = user.givenName;
    if (expandMemberOf) {
      out.memberOf = [...this.groups.values()]
        .filter(g => g.members.includes(user.id))
        .map(g => ({ displayName: g.displayName, id: g.id }));
    }
    return out;
  }

  private findUser(idOrName: string): OcUser | undefined {
    return (
      this.users.get(idOrName) ??
      [...this.users.values()].find(
        u =>
          u.onPremisesSamAccountName.toLowerCase() === idOrName.toLowerCase(),
      )
    );
  }

  private expand(req: StandInRequest, name: string): boolean {
    return (req.query.get('$expand') ?? '')
      .split(',')
      .map(s => s.trim())
      .includes(name);
  }

  private searchTerm(req: StandInRequest): string | undefined {
    const raw = req.query.get('$search');
    if (raw === null) return undefined;
    return raw.replace(/^"(.*)"$/, '$1').toLowerCase();
  }

  private userFilter(filter: string): (u: OcUser) => boolean {
    const parts = filter.split(/\s+(and|or)\s+/i);
    const predicates: Array<(u: OcUser) => boolean> = [];
    const ops: string[] = [];
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        ops.push(part.toLowerCase());
        return;
      }
      const p = part.trim();
      let m = /^memberOf\/any\(\w+:\w+\/id eq '([^']*)'\)$/.exec(p);
      if (m) {
        const groupId = m[1];
        predicates.push(
          u => !!this.groups.get(groupId)?.members.includes(u.id),
        );
        return;
      }
      m = /^appRoleAssignments\/any\(\w+:\w+\/appRoleId eq '([^']*)'\)$/.exec(
        p,
      );
      if (m) {
        // every user holds the default "User" role; the service user is admin
        predicates.push(() => true);
        return;
      }
      m = /^userType eq '(Member|Guest|Federated)'$/.exec(p);
      if (m) {
        const type = m[1];
        predicates.push(u => u.userType === type);
        return;
      }
      m = /^(startswith|contains)\(displayName,\s*'([^']*)'\)$/.exec(p);
      if (m) {
        const [, fn, text] = m;
        predicates.push(u =>
          fn === 'startswith'
            ? u.displayName.toLowerCase().startsWith(text.toLowerCase())
            : u.displayName.toLowerCase().includes(text.toLowerCase()),
        );
        return;
      }
      throw new GraphError(501, 'notSupported', 'unsupported filter');
    });
    return u => {
      let result = predicates[0](u);
      ops.forEach((op, i) => {
        const next = predicates[i + 1](u);
        result = op === 'and' ? result && next : result || next;
      });
      return result;
    };
  }

  private listUsers(req: StandInRequest): StandInResponse {
    let users = [...this.users.values()];
    const term = this.searchTerm(req);
    if (term) {
      users = users.filter(u =>
        [u.displayName, u.mail ?? '', u.onPremisesSamAccountName].some(v =>
          v.toLowerCase().includes(term),
        ),
      );
    }
    const filter = req.query.get('$filter');
    if (filter) users = users.filter(this.userFilter(filter));
    const orderby = req.query.get('$orderby');
    if (orderby) {
      const [field, direction] = orderby.trim().split(/\s+/);
      if (
        !['displayName', 'mail', 'onPremisesSamAccountName'].includes(field)
      ) {
        throw new GraphError(
          400,
          'invalidRequest',
          `we do not support <${field}> as a order parameter`,
        );
      }
      const key = field as 'displayName' | 'mail' | 'onPremisesSamAccountName';
      users.sort((a, b) => {
        const x = (a[key] ?? '').toLowerCase();
        const y = (b[key] ?? '').toLowerCase();
        const r = compareStrings(x, y);
        return direction === 'desc' ? -r : r;
      });
    }
    const expandMemberOf = this.expand(req, 'memberOf');
    return jsonResponse(200, {
      value: users.map(u => this.renderUser(u, expandMemberOf)),
    });
  }

  private createUser(req: StandInRequest): StandInResponse {
    const body = strictBody(req.body, USER_CREATE_FIELDS);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        body.unknown
          ? `invalid request body: json: unknown field "${body.unknown}"`
          : 'invalid request body',
      );
    }
    const v = body.value;
    if (v.id !== undefined) {
      throw new GraphError(
        400,
        'invalidRequest',
        'user id is a read-only attribute',
      );
    }
    if (typeof v.displayName !== 'string' || v.displayName.trim() === '') {
      throw new GraphError(
        400,
        'invalidRequest',
        "missing attribute: 'displayName'",
      );
    }
    if (
      typeof v.onPremisesSamAccountName !== 'string' ||
      v.onPremisesSamAccountName === ''
    ) {
      throw new GraphError(
        400,
        'invalidRequest',
        "missing attribute: 'onPremisesSamAccountName'",
      );
    }
    if (
      !/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}$/.test(v.onPremisesSamAccountName)
    ) {
      throw new GraphError(400, 'invalidRequest', 'invalid username');
    }
    if (
      v.mail !== undefined &&
      (typeof v.mail !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.mail))
    ) {
      throw new GraphError(
        400,
        'invalidRequest',
        `'${v.mail}' is not a valid email address`,
      );
    }
    if (v.userType !== undefined && !['Member', 'Guest'].includes(v.userType)) {
      throw new GraphError(400, 'invalidRequest', 'invalid userType');
    }
    if (this.findUser(v.onPremisesSamAccountName)) {
      throw new GraphError(
        409,
        'nameAlreadyExists',
        'a user with that name already exists',
      );
    }
    const user: OcUser = {
      id: uuid(),
      displayName: v.displayName,
      onPremisesSamAccountName: v.onPremisesSamAccountName,
      mail: v.mail,
      accountEnabled: v.accountEnabled !== false,
      userType: v.userType ?? 'Member',
      surname: typeof v.surname === 'string' ? v.surname : undefined,
      givenName: typeof v.givenName === 'string' ? v.givenName : undefined,
    };
    this.users.set(user.id, user);
    // the personal space (real OCIS creates it at the first login)
    const personal: Drive = {
      spaceId: user.id,
      driveType: 'personal',
      name: user.displayName,
      driveAlias: `personal/${user.onPremisesSamAccountName.toLowerCase()}`,
      quotaTotal: null,
      used: 0,
      disabled: false,
      lastModified: nowIso(),
      ownerId: user.id,
      etag: `"${randomToken(12)}"`,
      permissions: [],
    };
    this.drives.set(personal.spaceId, personal);
    return jsonResponse(201, this.renderUser(user, false));
  }

  private getUser(req: StandInRequest, id: string): StandInResponse {
    const user = this.findUser(id);
    if (!user) throw new GraphError(404, 'itemNotFound', 'user not found');
    return jsonResponse(
      200,
      this.renderUser(user, this.expand(req, 'memberOf')),
    );
  }

  private updateUser(req: StandInRequest, id: string): StandInResponse {
    const user = this.findUser(id);
    if (!user) throw new GraphError(404, 'itemNotFound', 'user not found');
    if (req.body.length === 0) return emptyResponse(204);
    const body = strictBody(req.body, [
      'displayName',
      'mail',
      'onPremisesSamAccountName',
      'accountEnabled',
      'passwordProfile',
      'userType',
      'surname',
      'givenName',
      'preferredLanguage',
    ]);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        body.unknown
          ? `invalid request body: json: unknown field "${body.unknown}"`
          : 'invalid request body',
      );
    }
    const v = body.value;
    if (Object.keys(v).length === 0) return emptyResponse(204);
    if (
      v.mail !== undefined &&
      (typeof v.mail !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.mail))
    ) {
      throw new GraphError(
        400,
        'invalidRequest',
        `'${v.mail}' is not a valid email address`,
      );
    }
    if (v.onPremisesSamAccountName !== undefined) {
      if (
        typeof v.onPremisesSamAccountName !== 'string' ||
        !/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}$/.test(v.onPremisesSamAccountName)
      ) {
        throw new GraphError(400, 'invalidRequest', 'invalid username');
      }
      const other = this.findUser(v.onPremisesSamAccountName);
      if (other && other !== user) {
        throw new GraphError(
          409,
          'nameAlreadyExists',
          'a user with that name already exists',
        );
      }
      user.onPremisesSamAccountName = v.onPremisesSamAccountName;
    }
    if (v.userType !== undefined) {
      if (!['Member', 'Guest'].includes(v.userType)) {
        throw new GraphError(400, 'invalidRequest', 'invalid userType');
      }
      user.userType = v.userType;
    }
    if (typeof v.displayName === 'string') user.displayName = v.displayName;
    if (typeof v.mail === 'string') user.mail = v.mail;
    if (typeof v.accountEnabled === 'boolean')
      user.accountEnabled = v.accountEnabled;
    if (typeof v.surname === 'string') user.surname = v.surname;
    if (typeof v.givenName === 'string') user.givenName = v.givenName;
    return jsonResponse(200, this.renderUser(user, false));
  }

  private deleteUser(id: string): StandInResponse {
    const user = this.findUser(id);
    if (!user) throw new GraphError(404, 'itemNotFound', 'user not found');
    if (user.id === OCIS_SERVICE_USER.id) {
      throw new GraphError(403, 'accessDenied', 'self deletion forbidden');
    }
    this.users.delete(user.id);
    // also disables and purges the user's personal space
    this.drives.delete(user.id);
    for (const group of this.groups.values()) {
      group.members = group.members.filter(m => m !== user.id);
    }
    for (const drive of this.drives.values()) {
      drive.permissions = drive.permissions.filter(
        p => !(p.kind === 'user' && p.objectId === user.id),
      );
    }
    return emptyResponse(204);
  }

  // ---------------------------------------------------------------- groups

  private renderGroup(group: OcGroup, expandMembers: boolean): Obj {
    const out: Obj = { displayName: group.displayName, id: group.id };
    if (group.description !== undefined) out.description = group.description;
    if (expandMembers) {
      out.members = group.members
        .map(id => this.users.get(id))
        .filter((u): u is OcUser => !!u)
        .map(u => this.renderUser(u, false));
    }
    return out;
  }

  private findGroup(id: string): OcGroup {
    const group =
      this.groups.get(id) ??
      [...this.groups.values()].find(
        g => g.displayName.toLowerCase() === id.toLowerCase(),
      );
    if (!group) throw new GraphError(404, 'itemNotFound', 'group not found');
    return group;
  }

  /** User ids from "members@odata.bind" URLs (…/users/<id>). */
  private memberRefs(refs: unknown): string[] {
    if (!Array.isArray(refs)) {
      throw new GraphError(400, 'invalidRequest', 'invalid members@odata.bind');
    }
    return refs.map(ref => {
      const m =
        typeof ref === 'string' ? /\/users\/([^/?#]+)$/.exec(ref) : null;
      if (!m) {
        throw new GraphError(
          400,
          'invalidRequest',
          `invalid member reference: ${ref}`,
        );
      }
      const user = this.findUser(decodeURIComponent(m[1]));
      if (!user) throw new GraphError(404, 'itemNotFound', 'user not found');
      return user.id;
    });
  }

  private listGroups(req: StandInRequest): StandInResponse {
    let groups = [...this.groups.values()];
    const term = this.searchTerm(req);
    if (term)
      groups = groups.filter(g => g.displayName.toLowerCase().includes(term));
    const orderby = req.query.get('$orderby');
    if (orderby) {
      const [field, direction] = orderby.trim().split(/\s+/);
      if (field !== 'displayName') {
        throw new GraphError(
          400,
          'invalidRequest',
          `we do not support <${field}> as a order parameter`,
        );
      }
      groups.sort((a, b) => {
        const r =
          a.displayName.toLowerCase() < b.displayName.toLowerCase() ? -1 : 1;
        return direction === 'desc' ? -r : r;
      });
    }
    const expandMembers = this.expand(req, 'members');
    return jsonResponse(200, {
      value: groups.map(g => this.renderGroup(g, expandMembers)),
    });
  }

  private createGroup(req: StandInRequest): StandInResponse {
    const body = strictBody(req.body, GROUP_CREATE_FIELDS);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        body.unknown
          ? `invalid request body: json: unknown field "${body.unknown}"`
          : 'invalid request body',
      );
    }
    const v = body.value;
    if (v.id !== undefined) {
      throw new GraphError(
        400,
        'invalidRequest',
        'group id is a read-only attribute',
      );
    }
    if (v.displayName === undefined || v.displayName === null) {
      throw new GraphError(400, 'invalidRequest', 'Missing Required Attribute');
    }
    if (
      typeof v.displayName !== 'string' ||
      v.displayName.trim() === '' ||
      v.displayName.length > 255
    ) {
      throw new GraphError(400, 'invalidRequest', 'Invalid displayName');
    }
    if (
      [...this.groups.values()].some(
        g => g.displayName.toLowerCase() === v.displayName.toLowerCase(),
      )
    ) {
      throw new GraphError(409, 'nameAlreadyExists', 'group already exists');
    }
    const members =
      v['members@odata.bind'] !== undefined
        ? this.memberRefs(v['members@odata.bind'])
        : [];
    const group: OcGroup = {
      id: uuid(),
      displayName: v.displayName,
      description:
        typeof v.description === 'string' ? v.description : undefined,
      members: [...new Set(members)],
    };
    this.groups.set(group.id, group);
    return jsonResponse(201, this.renderGroup(group, false));
  }

  private getGroup(req: StandInRequest, id: string): StandInResponse {
    const group = this.findGroup(id);
    return jsonResponse(
      200,
      this.renderGroup(group, this.expand(req, 'members')),
    );
  }

  private updateGroup(req: StandInRequest, id: string): StandInResponse {
    const group = this.findGroup(id);
    const body = strictBody(req.body, [
      'displayName',
      'description',
      'members@odata.bind',
    ]);
    if ('invalid' in body) {
      throw new GraphError(
        400,
        'invalidRequest',
        body.unknown
          ? `invalid request body: json: unknown field "${body.unknown}"`
          : 'invalid request body',
      );
    }
    const v = body.value;
    if (v.displayName !== undefined) {
      if (typeof v.displayName !== 'string' || v.displayName.trim() === '') {
        throw new GraphError(400, 'invalidRequest', 'Invalid displayName');
      }
      const clash = [...this.groups.values()].find(
        g =>
          g !== group &&
          g.displayName.toLowerCase() === v.displayName.toLowerCase(),
      );
      if (clash)
        throw new GraphError(409, 'nameAlreadyExists', 'group already exists');
    }
    const newMembers =
      v['members@odata.bind'] !== undefined
        ? this.memberRefs(v['members@odata.bind'])
        : [];
    if (typeof v.displayName === 'string') group.displayName = v.displayName;
    if (typeof v.description === 'string') group.description = v.description;
    for (const member of newMembers) {
      if (!group.members.includes(member)) group.members.push(member);
    }
    return emptyResponse(204);
  }

  private deleteGroup(id: string): StandInResponse {
    const group = this.findGroup(id);
    this.groups.delete(group.id);
    for (const drive of this.drives.values()) {
      drive.permissions = drive.permissions.filter(
        p => !(p.kind === 'group' && p.objectId === group.id),
      );
    }
    return emptyResponse(204);
  }

  private listMembers(id: string): StandInResponse {
    const group = this.findGroup(id);
    // a bare array, not {"value": …}
    return jsonResponse(
      200,
      group.members
        .map(m => this.users.get(m))
        .filter((u): u is OcUser => !!u)
        .map(u => this.renderUser(u, false)),
    );
  }

  private addMember(req: StandInRequest, id: string): StandInResponse {
    const group = this.findGroup(id);
    const parsed = parseJsonBody(req.body);
    if (
      !parsed.ok ||
      !isObject(parsed.value) ||
      typeof parsed.value['@odata.id'] !== 'string'
    ) {
      throw new GraphError(400, 'invalidRequest', 'invalid request body');
    }
    const [userId] = this.memberRefs([parsed.value['@odata.id']]);
    if (!group.members.includes(userId)) group.members.push(userId);
    return emptyResponse(204);
  }

  private removeMember(id: string, userId: string): StandInResponse {
    const group = this.findGroup(id);
    const user = this.findUser(userId);
    if (!user || !group.members.includes(user.id)) {
      throw new GraphError(404, 'itemNotFound', 'member not found');
    }
    group.members = group.members.filter(m => m !== user.id);
    return emptyResponse(204);
  }
}
