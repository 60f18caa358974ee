import {
  AuthenticatorsApi,
  Configuration,
  CoreApi,
  Group,
  ResponseError,
  User,
} from '@goauthentik/api';
import { SystemError, SystemHttp } from './SystemHttp';

/** An Authentik group as provisioning sees it. */
export interface AuthentikGroup {
  /** The group's UUID. */
  pk: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** An Authentik user as the lifecycle sees it. */
export interface AuthentikUser {
  pk: number;
  username: string;
  isActive: boolean;
  /** The UUIDs of the groups the user is in. */
  groups: string[];
}

/** A person as the members API sees them (`User`, with their groups). */
export interface AuthentikPerson {
  pk: number;
  username: string;
  name: string;
  email: string;
  isActive: boolean;
  /** ISO date-time of the last sign-in; null: never. */
  lastLogin: string | null;
  /** ISO date-time of the last password change. */
  passwordChangeDate: string | null;
  attributes: Record<string, unknown>;
  /** The user's groups with their attributes (`groups_obj`). */
  groups: AuthentikGroup[];
}

/** The Authentik calls the members API makes (people, passwords, authenticators). */
export interface AuthentikPeopleApi {
  /** The users of a group with their groups (paged, 100 at a time). */
  groupPeople(groupPk: string): Promise<AuthentikPerson[]>;
  getPerson(pk: number): Promise<AuthentikPerson | undefined>;
  /** The users with exactly this email or username (`email=` and `username=` filters). */
  findPeople(login: string): Promise<AuthentikPerson[]>;
  /** Creates a user; resolves undefined when the username is taken (400 on `username`). */
  createPerson(person: {
    username: string;
    name: string;
    email: string;
    groups: string[];
    attributes: Record<string, unknown>;
  }): Promise<AuthentikPerson | undefined>;
  /** PATCH `attributes` (Authentik replaces them whole: pass the complete object). */
  setAttributes(pk: number, attributes: Record<string, unknown>): Promise<void>;
  addToGroup(groupPk: string, userPk: number): Promise<void>;
  /** `set_password` (the password is sent, never put in an error or a log). */
  setPassword(pk: number, password: string): Promise<void>;
  /** How many confirmed authenticators (MFA devices) the user has. */
  confirmedAuthenticators(pk: number): Promise<number>;
}

/** The Authentik calls provisioning makes (`/api/v3`, a Bearer API token). */
export interface AuthentikApi {
  /** The users of a group (paged, 100 at a time). */
  groupUsers(groupPk: string): Promise<AuthentikUser[]>;
  /** PATCH `is_active` (Authentik ends an inactive user's sessions; they are ended here too). */
  setUserActive(pk: number, active: boolean): Promise<void>;
  /** The user's sessions, selected on the server by username; each is checked to be the user's. */
  userSessions(user: Pick<AuthentikUser, 'pk' | 'username'>): Promise<string[]>;
  /** Ends a session; one already gone is fine. */
  endSession(uuid: string): Promise<void>;
  /** Deletes a user; one already gone is fine. */
  deleteUser(pk: number): Promise<void>;
  removeFromGroup(groupPk: string, userPk: number): Promise<void>;
  /** Deletes a group; one already gone is fine. */
  deleteGroup(pk: string): Promise<void>;
  getGroup(pk: string): Promise<AuthentikGroup | undefined>;
  /** The group with exactly this name (names are unique in Authentik). */
  findGroupByName(name: string): Promise<AuthentikGroup | undefined>;
  /** Creates a group; resolves undefined when the name is already taken (400 on `name`). */
  createGroup(
    name: string,
    attributes: Record<string, unknown>,
  ): Promise<AuthentikGroup | undefined>;
  /** PATCH: Authentik replaces `attributes` whole — pass the complete object. */
  updateGroup(
    pk: string,
    patch: { name?: string; attributes?: Record<string, unknown> },
  ): Promise<AuthentikGroup>;
  /** Every group, read in pages of 100 without members. */
  listGroups(): Promise<AuthentikGroup[]>;
}

const toGroup = (
  g: Pick<Group, 'pk' | 'name' | 'attributes'>,
): AuthentikGroup => ({
  pk: g.pk,
  name: g.name,
  attributes: (g.attributes ?? {}) as Record<string, unknown>,
});

const toPerson = (u: User): AuthentikPerson => ({
  pk: u.pk,
  username: u.username,
  name: u.name,
  email: u.email ?? '',
  isActive: u.isActive ?? true,
  lastLogin: u.lastLogin ? new Date(u.lastLogin).toISOString() : null,
  passwordChangeDate: u.passwordChangeDate
    ? new Date(u.passwordChangeDate).toISOString()
    : null,
  attributes: (u.attributes ?? {}) as Record<string, unknown>,
  groups: (u.groupsObj ?? []).map(toGroup),
});

/**
 * Authentik through its official client (`@goauthentik/api`), with the
 * system's limiter, timeouts and Retry-After under it (`SystemHttp.fetch`).
 * Authentik answers 403 — never 401 — to a bad token.
 */
export class AuthentikClient implements AuthentikApi, AuthentikPeopleApi {
  private readonly core: CoreApi;
  private readonly authenticators: AuthenticatorsApi;

  constructor(http: SystemHttp, apiToken: string) {
    const configuration = new Configuration({
      basePath: http.url('/api/v3'),
      accessToken: apiToken,
      fetchApi: http.fetch,
    });
    this.core = new CoreApi(configuration);
    this.authenticators = new AuthenticatorsApi(configuration);
  }

  // ------------------------------------------------------ people (members)

  async groupPeople(groupPk: string) {
    return this.call(`list the people of group ${groupPk}`, async () => {
      const all: AuthentikPerson[] = [];
      for (let page = 1; page > 0; ) {
        const res = await this.core.coreUsersList({
          groupsByPk: [groupPk],
          includeGroups: true,
          page,
          pageSize: 100,
          ordering: 'username',
        });
        all.push(...res.results.map(toPerson));
        page = res.pagination.next;
      }
      return all;
    });
  }

  async getPerson(pk: number) {
    return this.call(`read user ${pk}`, async () => {
      try {
        return toPerson(await this.core.coreUsersRetrieve({ id: pk }));
      } catch (error) {
        if (error instanceof ResponseError && error.response.status === 404) {
          return undefined;
        }
        throw error;
      }
    });
  }

  async findPeople(login: string) {
    return this.call(`look up user ${login}`, async () => {
      const found = new Map<number, AuthentikPerson>();
      for (const filter of [{ email: login }, { username: login }]) {
        const res = await this.core.coreUsersList({
          ...filter,
          includeGroups: true,
          pageSize: 100,
        });
        for (const u of res.results) found.set(u.pk, toPerson(u));
      }
      return [...found.values()];
    });
  }

  async createPerson(person: {
    username: string;
    name: string;
    email: string;
    groups: string[];
    attributes: Record<string, unknown>;
  }) {
    return this.call(`create user ${person.username}`, async () => {
      try {
        return toPerson(
          await this.core.coreUsersCreate({
            userRequest: { ...person, isActive: true, type: 'internal' },
          }),
        );
      } catch (error) {
        if (error instanceof ResponseError && error.response.status === 400) {
          const body = (await error.response
            .clone()
            .json()
            .catch(() => undefined)) as Record<string, unknown> | undefined;
          if (body && 'username' in body) return undefined;
        }
        throw error;
      }
    });
  }

  async setAttributes(pk: number, attributes: Record<string, unknown>) {
    await this.call(`set the attributes of user ${pk}`, async () => {
      await this.core.coreUsersPartialUpdate({
        id: pk,
        patchedUserRequest: { attributes },
      });
    });
  }

  async addToGroup(groupPk: string, userPk: number) {
    await this.call(`add user ${userPk} to group ${groupPk}`, () =>
      this.core.coreGroupsAddUserCreate({
        groupUuid: groupPk,
        userAccountRequest: { pk: userPk },
      }),
    );
  }

  async setPassword(pk: number, password: string) {
    // the call's name and errors never carry the password
    await this.call(`set the password of user ${pk}`, () =>
      this.core.coreUsersSetPasswordCreate({
        id: pk,
        userPasswordSetRequest: { password },
      }),
    );
  }

  async confirmedAuthenticators(pk: number) {
    return this.call(`list the authenticators of user ${pk}`, async () => {
      const devices = await this.authenticators.authenticatorsAdminAllList({
        user: pk,
      });
      return devices.filter(d => d.confirmed).length;
    });
  }

  // ------------------------------------------------------- groups (tenants)

  async getGroup(pk: string) {
    return this.call(`read group ${pk}`, async () => {
      try {
        return toGroup(
          await this.core.coreGroupsRetrieve({
            groupUuid: pk,
            includeUsers: false,
          }),
        );
      } catch (error) {
        if (error instanceof ResponseError && error.response.status === 404) {
          return undefined;
        }
        throw error;
      }
    });
  }

  async findGroupByName(name: string) {
    return this.call(`look up group ${name}`, async () => {
      const page = await this.core.coreGroupsList({
        name,
        includeUsers: false,
        pageSize: 20,
      });
      const found = page.results.find(g => g.name === name);
      return found ? toGroup(found) : undefined;
    });
  }

  async createGroup(name: string, attributes: Record<string, unknown>) {
    return this.call(`create group ${name}`, async () => {
      try {
        return toGroup(
          await this.core.coreGroupsCreate({
            groupRequest: { name, attributes },
          }),
        );
      } catch (error) {
        if (error instanceof ResponseError && error.response.status === 400) {
          const body = (await error.response
            .clone()
            .json()
            .catch(() => undefined)) as Record<string, unknown> | undefined;
          if (body && 'name' in body) return undefined;
        }
        throw error;
      }
    });
  }

  async updateGroup(
    pk: string,
    patch: { name?: string; attributes?: Record<string, unknown> },
  ) {
    return this.call(`update group ${pk}`, async () =>
      toGroup(
        await this.core.coreGroupsPartialUpdate({
          groupUuid: pk,
          patchedGroupRequest: patch,
        }),
      ),
    );
  }

  async listGroups() {
    return this.call('list groups', async () => {
      const all: AuthentikGroup[] = [];
      for (let page = 1; page > 0; ) {
        const res = await this.core.coreGroupsList({
          page,
          pageSize: 100,
          includeUsers: false,
          ordering: 'name',
        });
        all.push(...res.results.map(toGroup));
        page = res.pagination.next;
      }
      return all;
    });
  }

  async groupUsers(groupPk: string) {
    return this.call(`list the users of group ${groupPk}`, async () => {
      const all: AuthentikUser[] = [];
      for (let page = 1; page > 0; ) {
        const res = await this.core.coreUsersList({
          groupsByPk: [groupPk],
          includeGroups: false,
          page,
          pageSize: 100,
          ordering: 'username',
        });
        for (const u of res.results) {
          all.push({
            pk: u.pk,
            username: u.username,
            isActive: u.isActive ?? true,
            groups: u.groups ?? [],
          });
        }
        page = res.pagination.next;
      }
      return all;
    });
  }

  async setUserActive(pk: number, active: boolean) {
    await this.call(
      `${active ? 'activate' : 'deactivate'} user ${pk}`,
      async () => {
        await this.core.coreUsersPartialUpdate({
          id: pk,
          patchedUserRequest: { isActive: active },
        });
      },
    );
  }

  async userSessions(user: Pick<AuthentikUser, 'pk' | 'username'>) {
    return this.call(`list the sessions of user ${user.pk}`, async () => {
      const out: string[] = [];
      for (let page = 1; page > 0; ) {
        const res = await this.core.coreAuthenticatedSessionsList({
          userUsername: user.username,
          page,
          pageSize: 100,
        });
        for (const s of res.results) {
          if (s.user === user.pk && s.uuid) out.push(s.uuid);
        }
        page = res.pagination.next;
      }
      return out;
    });
  }

  async endSession(uuid: string) {
    await this.call(`end session ${uuid}`, () =>
      gone(() => this.core.coreAuthenticatedSessionsDestroy({ uuid })),
    );
  }

  async deleteUser(pk: number) {
    await this.call(`delete user ${pk}`, () =>
      gone(() => this.core.coreUsersDestroy({ id: pk })),
    );
  }

  async removeFromGroup(groupPk: string, userPk: number) {
    await this.call(`remove user ${userPk} from group ${groupPk}`, () =>
      gone(() =>
        this.core.coreGroupsRemoveUserCreate({
          groupUuid: groupPk,
          userAccountRequest: { pk: userPk },
        }),
      ),
    );
  }

  async deleteGroup(pk: string) {
    await this.call(`delete group ${pk}`, () =>
      gone(() => this.core.coreGroupsDestroy({ groupUuid: pk })),
    );
  }

  /** Runs a generated-client call, turning its errors into `SystemError`s naming `call`. */
  private async call<T>(call: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw await asSystemError(call, error);
    }
  }
}

/** A delete whose object is already gone (404) is done. */
async function gone(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ResponseError && error.response.status === 404) return;
    throw error;
  }
}

async function asSystemError(call: string, error: unknown): Promise<Error> {
  if (error instanceof SystemError) {
    return new SystemError(
      'authentik',
      call,
      error.detail,
      error.status,
      error.retryAt,
    );
  }
  const e = error as { name?: string; cause?: unknown };
  if (e.name === 'FetchError' && e.cause instanceof SystemError) {
    return asSystemError(call, e.cause);
  }
  if (error instanceof ResponseError) {
    const text = await error.response.text().catch(() => '');
    const body = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    return new SystemError(
      'authentik',
      call,
      `HTTP ${error.response.status}${body ? `: ${body}` : ''}`,
      error.response.status,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
