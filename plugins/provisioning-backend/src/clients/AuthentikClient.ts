import { Configuration, CoreApi, Group, ResponseError } from '@goauthentik/api';
import { SystemError, SystemHttp } from './SystemHttp';

/** An Authentik group as provisioning sees it. */
export interface AuthentikGroup {
  /** The group's UUID. */
  pk: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** The Authentik calls provisioning makes (`/api/v3`, a Bearer API token). */
export interface AuthentikApi {
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

const toGroup = (g: Group): AuthentikGroup => ({
  pk: g.pk,
  name: g.name,
  attributes: (g.attributes ?? {}) as Record<string, unknown>,
});

/**
 * Authentik through its official client (`@goauthentik/api`), with the
 * system's limiter, timeouts and Retry-After under it (`SystemHttp.fetch`).
 * Authentik answers 403 — never 401 — to a bad token.
 */
export class AuthentikClient implements AuthentikApi {
  private readonly core: CoreApi;

  constructor(http: SystemHttp, apiToken: string) {
    this.core = new CoreApi(
      new Configuration({
        basePath: http.url('/api/v3'),
        accessToken: apiToken,
        fetchApi: http.fetch,
      }),
    );
  }

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

  /** Runs a generated-client call, turning its errors into `SystemError`s naming `call`. */
  private async call<T>(call: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw await asSystemError(call, error);
    }
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
