import { ProvisioningStore } from '../database/ProvisioningStore';
import { SystemError, SystemHttp } from './SystemHttp';

/** An OCIS project space as provisioning sees it. */
export interface OcisDrive {
  /** `<storageId>$<spaceId>`. */
  id: string;
  name: string;
  driveType: string;
  description?: string;
  /** Disabled (`root.deleted.state: trashed`): still listed, not usable. */
  disabled: boolean;
}

/** The OCIS (libregraph `/graph/v1.0`) calls provisioning makes. */
export interface OcisApi {
  getDrive(id: string): Promise<OcisDrive | undefined>;
  /** Every project space (OCIS lists without paging). */
  listProjectDrives(): Promise<OcisDrive[]>;
  createDrive(name: string, description: string): Promise<OcisDrive>;
  renameDrive(id: string, name: string): Promise<OcisDrive>;
  restoreDrive(id: string): Promise<OcisDrive>;
  /** Disables a space (`DELETE`): still listed, data kept, not usable. */
  disableDrive(id: string): Promise<void>;
  /** Deletes a disabled space for good (`DELETE` with `Purge: T`); one already gone is fine. */
  purgeDrive(id: string): Promise<void>;
}

interface GraphDrive {
  id: string;
  name: string;
  driveType: string;
  description?: string;
  root?: { deleted?: { state?: string } };
}

const toDrive = (d: GraphDrive): OcisDrive => ({
  id: d.id,
  name: d.name,
  driveType: d.driveType,
  ...(d.description ? { description: d.description } : {}),
  disabled: d.root?.deleted?.state === 'trashed',
});

/** Where the OCIS service token comes from (config `provisioning.ocis.auth`). */
export interface OcisTokenOptions {
  /** The token endpoint of the issuer OCIS trusts (Authentik: `…/application/o/token/`). */
  tokenUrl: string;
  clientId: string;
  /** The refresh token of the service user's first sign-in: used until the database holds a newer one. */
  refreshToken: string;
  /** Scopes asked on refresh (Authentik needs `offline_access` to hand out a new refresh token). */
  scope: string;
}

/** Refresh the access token this long before it expires (ms). */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * The OCIS service access token, from a refresh-token grant. The refresh
 * token rotates on every use (the old one is revoked), so it is kept in the
 * database and refreshed by one holder at a time across instances (the
 * credential's row lock): a holder first looks whether another instance
 * already refreshed. Tokens are never logged.
 */
export class OcisTokenSource {
  private cached?: { token: string; expiresAt: number };

  constructor(
    private readonly http: SystemHttp,
    private readonly store: ProvisioningStore,
    private readonly options: OcisTokenOptions,
  ) {}

  /** A valid access token (from memory, the database, or a refresh). */
  async accessToken(): Promise<string> {
    if (this.cached && this.cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) {
      return this.cached.token;
    }
    const token = await this.store.withCredential('ocis', async stored => {
      const now = Date.now();
      if (
        stored?.accessToken &&
        stored.accessExpiresAt &&
        Date.parse(stored.accessExpiresAt) - EXPIRY_MARGIN_MS > now &&
        stored.accessToken !== this.rejected
      ) {
        return {
          result: {
            token: stored.accessToken,
            expiresAt: Date.parse(stored.accessExpiresAt),
          },
        };
      }
      let grant = await this.refresh(
        stored?.refreshToken ?? this.options.refreshToken,
      );
      if (
        'rejected' in grant &&
        stored &&
        stored.refreshToken !== this.options.refreshToken
      ) {
        // a re-issued service sign-in in the configuration replaces a dead stored token
        grant = await this.refresh(this.options.refreshToken);
      }
      if ('rejected' in grant) {
        throw new SystemError(
          'ocis',
          'refresh the service token',
          `${grant.rejected} — sign the OCIS service user in again and set provisioning.ocis.auth.refreshToken (docs/provisioning.md#ocis)`,
          400,
        );
      }
      const expiresAt = now + grant.expiresIn * 1000;
      return {
        result: { token: grant.accessToken, expiresAt },
        store: {
          // keep the old refresh token if no new one came back
          refreshToken: grant.refreshToken ?? grant.used,
          accessToken: grant.accessToken,
          accessExpiresAt: new Date(expiresAt).toISOString(),
        },
      };
    });
    this.cached = token;
    return token.token;
  }

  /** An access token OCIS refused (401): not used again. */
  reject(token: string) {
    this.rejected = token;
    if (this.cached?.token === token) this.cached = undefined;
  }

  private rejected?: string;

  private async refresh(refreshToken: string): Promise<
    | {
        used: string;
        accessToken: string;
        refreshToken?: string;
        expiresIn: number;
      }
    | { rejected: string }
  > {
    const res = await this.http.request({
      call: 'refresh the service token',
      method: 'POST',
      path: this.options.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: this.options.clientId,
        scope: this.options.scope,
      }).toString(),
      expect: [400, 401],
    });
    const body = res.json<{
      access_token?: string;
      refresh_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    }>();
    if (res.status !== 200 || !body.access_token) {
      return {
        rejected: `HTTP ${res.status} ${body.error ?? ''}${
          body.error_description ? `: ${body.error_description}` : ''
        }`.trim(),
      };
    }
    return {
      used: refreshToken,
      accessToken: body.access_token,
      ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
      expiresIn: body.expires_in ?? 300,
    };
  }
}

/**
 * OCIS libregraph with the service token; a `401` (an expired or revoked
 * access token) gets a fresh token and one more try.
 */
/** An OCIS user (Libre Graph `/users`). */
export interface OcisUser {
  id: string;
  /** `onPremisesSamAccountName`: the Authentik username (the OIDC claim OCIS maps). */
  username: string;
  displayName: string;
  mail?: string;
}

/** The OCIS calls the members API makes (a member's account). */
export interface OcisPeopleApi {
  /** By id or username; undefined if there is none. */
  getUser(idOrUsername: string): Promise<OcisUser | undefined>;
  /** Creates a user (no password: people sign in through Authentik); a taken name (409) resolves to that user. */
  createUser(user: {
    username: string;
    displayName: string;
    mail: string;
  }): Promise<{ user: OcisUser; existed: boolean }>;
  /** Deletes a user (and their personal space); one already gone is fine. */
  deleteUser(id: string): Promise<void>;
}

interface GraphUser {
  id: string;
  onPremisesSamAccountName: string;
  displayName: string;
  mail?: string;
}

const toUser = (u: GraphUser): OcisUser => ({
  id: u.id,
  username: u.onPremisesSamAccountName,
  displayName: u.displayName,
  ...(u.mail ? { mail: u.mail } : {}),
});

export class OcisClient implements OcisApi, OcisPeopleApi {
  constructor(
    private readonly http: SystemHttp,
    private readonly tokens: OcisTokenSource,
  ) {}

  async getDrive(id: string) {
    const res = await this.graph({
      call: `read space ${id}`,
      path: `/graph/v1.0/drives/${encodeURIComponent(id)}`,
      expect: [404],
    });
    return res.status === 404 ? undefined : toDrive(res.json<GraphDrive>());
  }

  async listProjectDrives() {
    const res = await this.graph({
      call: 'list spaces',
      path: `/graph/v1.0/drives?${new URLSearchParams({
        $filter: "driveType eq 'project'",
      })}`,
    });
    // OCIS answers JSON null when storage reports no space
    const body = res.json<{ value?: GraphDrive[] } | null>();
    return (body?.value ?? [])
      .filter(d => d.driveType === 'project')
      .map(toDrive);
  }

  async createDrive(name: string, description: string) {
    const res = await this.graph({
      call: `create space ${name}`,
      method: 'POST',
      path: '/graph/v1.0/drives',
      body: { name, driveType: 'project', description },
    });
    return toDrive(res.json<GraphDrive>());
  }

  async renameDrive(id: string, name: string) {
    const res = await this.graph({
      call: `rename space ${id} to ${name}`,
      method: 'PATCH',
      path: `/graph/v1.0/drives/${encodeURIComponent(id)}`,
      body: { name },
    });
    return toDrive(res.json<GraphDrive>());
  }

  async restoreDrive(id: string) {
    const res = await this.graph({
      call: `restore space ${id}`,
      method: 'PATCH',
      path: `/graph/v1.0/drives/${encodeURIComponent(id)}`,
      headers: { Restore: 'T' },
      body: {},
    });
    return toDrive(res.json<GraphDrive>());
  }

  async disableDrive(id: string) {
    await this.graph({
      call: `disable space ${id}`,
      method: 'DELETE',
      path: `/graph/v1.0/drives/${encodeURIComponent(id)}`,
    });
  }

  async purgeDrive(id: string) {
    await this.graph({
      call: `purge space ${id}`,
      method: 'DELETE',
      path: `/graph/v1.0/drives/${encodeURIComponent(id)}`,
      headers: { Purge: 'T' },
      expect: [404],
    });
  }

  // ------------------------------------------------------ people (members)

  async getUser(idOrUsername: string) {
    const res = await this.graph({
      call: `read user ${idOrUsername}`,
      path: `/graph/v1.0/users/${encodeURIComponent(idOrUsername)}`,
      expect: [404],
    });
    return res.status === 404 ? undefined : toUser(res.json<GraphUser>());
  }

  async createUser(user: {
    username: string;
    displayName: string;
    mail: string;
  }) {
    const res = await this.graph({
      call: `create user ${user.username}`,
      method: 'POST',
      path: '/graph/v1.0/users',
      body: {
        displayName: user.displayName,
        onPremisesSamAccountName: user.username,
        mail: user.mail,
      },
      expect: [409],
    });
    if (res.status !== 409) {
      return { user: toUser(res.json<GraphUser>()), existed: false };
    }
    const found = await this.getUser(user.username);
    if (!found) {
      throw new SystemError(
        'ocis',
        `create user ${user.username}`,
        'HTTP 409: the name is taken, yet no user of that name is found',
        409,
      );
    }
    return { user: found, existed: true };
  }

  async deleteUser(id: string) {
    await this.graph({
      call: `delete user ${id}`,
      method: 'DELETE',
      path: `/graph/v1.0/users/${encodeURIComponent(id)}`,
      expect: [404],
    });
  }

  private async graph(req: {
    call: string;
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: unknown;
    expect?: number[];
  }) {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.accessToken();
      const res = await this.http.request({
        call: req.call,
        method: req.method,
        path: req.path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(req.body !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
          ...req.headers,
        },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        expect: [...(req.expect ?? []), 401],
      });
      if (res.status !== 401) return res;
      this.tokens.reject(token);
      if (attempt >= 1) {
        throw new SystemError(
          'ocis',
          req.call,
          'HTTP 401: the service access token was refused',
          401,
        );
      }
    }
  }
}
