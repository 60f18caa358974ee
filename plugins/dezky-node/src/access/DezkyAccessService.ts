import {
  AuthService,
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  DEFAULT_NAMESPACE,
  Entity,
  RELATION_MEMBER_OF,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  DEZKY_API_VERSION,
  PLATFORM_ADMINS_GROUP_REF,
} from '@internal/plugin-dezky-catalog-common';
import { DezkyAccess } from './types';

/**
 * Answers, for any credentials: operator? staff of which partners? which
 * tenants does that reach? Every Dezky plugin asks this service; none
 * re-derives it.
 */
export interface DezkyAccessService {
  /** The access of whoever holds these credentials. */
  forCredentials(credentials: BackstageCredentials): Promise<DezkyAccess>;
  /** The access of a user, by entity ref (e.g. from a policy query). */
  forUser(userEntityRef: string): Promise<DezkyAccess>;
  /** The tenants the access reaches: all for operators, the partners' tenants for staff. */
  tenantRefs(access: DezkyAccess): Promise<'all' | string[]>;
}

const lower = (ref: string) => ref.toLocaleLowerCase('en-US');

/** Maps group refs to the partners whose staff group they are. */
type PartnerDirectory = Map<string, string[]>;

interface Cached<T> {
  value: Promise<T>;
  expires: number;
}

/**
 * Reads membership and partners from the catalog with the plugin's own
 * service credentials and keeps each answer for `ttlMs` (default 5 s): a
 * change in catalog/ (someone leaves a staff group, a partner changes owner)
 * takes effect within that time, without a new sign-in. Group membership is
 * taken from the catalog's current User entity, not from the token's
 * ownership claims, which would only change at the next sign-in.
 */
export class DefaultDezkyAccessService implements DezkyAccessService {
  private readonly ttlMs: number;
  private directory?: Cached<PartnerDirectory>;
  private readonly memberships = new Map<string, Cached<string[]>>();
  private readonly tenants = new Map<string, Cached<string[]>>();

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      userInfo: UserInfoService;
    },
    options?: { ttlMs?: number },
  ) {
    this.ttlMs = options?.ttlMs ?? 5_000;
  }

  async forCredentials(
    credentials: BackstageCredentials,
  ): Promise<DezkyAccess> {
    if (
      credentials.principal &&
      (credentials.principal as { type?: string }).type === 'user'
    ) {
      const { userEntityRef } = await this.deps.userInfo.getUserInfo(
        credentials,
      );
      return this.forUser(userEntityRef);
    }
    return {
      role: 'service',
      groupRefs: [],
      partnerRefs: [],
      staffGroupRefs: [],
    };
  }

  async forUser(userEntityRef: string): Promise<DezkyAccess> {
    const userRef = lower(userEntityRef);
    const [groupRefs, directory] = await Promise.all([
      this.cached(this.memberships, userRef, () =>
        this.loadMemberships(userRef),
      ),
      this.partnerDirectory(),
    ]);
    if (groupRefs.includes(PLATFORM_ADMINS_GROUP_REF)) {
      return {
        role: 'operator',
        userRef,
        groupRefs,
        partnerRefs: [],
        staffGroupRefs: [],
      };
    }
    const staffGroupRefs = groupRefs.filter(g => directory.has(g));
    const partnerRefs = [
      ...new Set(staffGroupRefs.flatMap(g => directory.get(g)!)),
    ].sort();
    return {
      role: partnerRefs.length ? 'partner-staff' : 'user',
      userRef,
      groupRefs,
      partnerRefs,
      staffGroupRefs,
    };
  }

  async tenantRefs(access: DezkyAccess): Promise<'all' | string[]> {
    if (access.role === 'operator' || access.role === 'service') {
      return 'all';
    }
    if (!access.partnerRefs.length) {
      return [];
    }
    const key = access.partnerRefs.join(',');
    return this.cached(this.tenants, key, async () => {
      const { items } = await this.deps.catalog.getEntities(
        {
          filter: { kind: 'Tenant', 'relations.resoldBy': access.partnerRefs },
          fields: ['kind', 'metadata.namespace', 'metadata.name'],
        },
        { credentials: await this.deps.auth.getOwnServiceCredentials() },
      );
      return items.map(e => lower(stringifyEntityRef(e))).sort();
    });
  }

  private async loadMemberships(userRef: string): Promise<string[]> {
    const user = await this.deps.catalog.getEntityByRef(userRef, {
      credentials: await this.deps.auth.getOwnServiceCredentials(),
    });
    return (user?.relations ?? [])
      .filter(r => r.type === RELATION_MEMBER_OF)
      .map(r => lower(r.targetRef))
      .sort();
  }

  private partnerDirectory(): Promise<PartnerDirectory> {
    const now = Date.now();
    if (!this.directory || this.directory.expires <= now) {
      const value = this.loadDirectory();
      this.directory = { value, expires: now + this.ttlMs };
      value.catch(() => {
        this.directory = undefined;
      });
    }
    return this.directory.value;
  }

  private async loadDirectory(): Promise<PartnerDirectory> {
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: { kind: 'Partner', apiVersion: DEZKY_API_VERSION },
        fields: ['kind', 'metadata.namespace', 'metadata.name', 'spec.owner'],
      },
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    const directory: PartnerDirectory = new Map();
    for (const partner of items) {
      const owner = ownerGroupRef(partner);
      if (!owner) continue;
      const refs = directory.get(owner) ?? [];
      refs.push(lower(stringifyEntityRef(partner)));
      directory.set(owner, refs);
    }
    return directory;
  }

  private cached<T>(
    map: Map<string, Cached<T>>,
    key: string,
    load: () => Promise<T>,
  ): Promise<T> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.expires > now) {
      return hit.value;
    }
    if (map.size > 10_000) {
      for (const [k, v] of map) if (v.expires <= now) map.delete(k);
    }
    const value = load();
    map.set(key, { value, expires: now + this.ttlMs });
    value.catch(() => map.delete(key));
    return value;
  }
}

function ownerGroupRef(entity: Entity): string | undefined {
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return lower(
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
        }),
      ),
    );
  } catch {
    return undefined; // the catalog processor reports malformed owners
  }
}
