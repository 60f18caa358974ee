import { DnsRecord } from '@internal/plugin-provisioning-common';
import { SystemError, SystemHttp } from './SystemHttp';

/** A Stalwart domain (`x:Domain`) as provisioning sees it. */
export interface StalwartDomain {
  id: string;
  name: string;
  description?: string;
}

/** A domain read with what it asks to have published. */
export interface StalwartDomainZone extends StalwartDomain {
  /** The BIND zone file Stalwart computes for the domain. */
  dnsZoneFile: string;
  /** How many DKIM signatures exist for it (generated after the domain was created). */
  dkimSignatures: number;
}

/** The outcome of creating one domain. */
export type DomainCreated =
  | { name: string; id: string; existed: false }
  | { name: string; id: string; existed: true };

/** A Stalwart account (`x:Account`) of a tenant domain. */
export interface StalwartAccount {
  id: string;
  /** The local part; with the domain it is the address. */
  name: string;
  domainId: string;
  /** `User` or `Group`. */
  type: string;
  /** As Stalwart holds it (`{"@type":"Inherit"}`, or Merge/Replace with enabled and disabled sets). */
  permissions: Record<string, unknown>;
}

/** The object types teardown removes, in `x:<type>/set destroy`. */
export type StalwartObjectType =
  | 'Account'
  | 'MailingList'
  | 'DkimSignature'
  | 'Domain';

/** The Stalwart calls provisioning makes (0.16+: JMAP management at `POST /jmap`). */
export interface StalwartApi {
  /** The accounts whose address is on these domains. */
  domainAccounts(domainIds: string[]): Promise<StalwartAccount[]>;
  /** The mailing lists and DKIM signatures of these domains (ids by type). */
  domainObjects(
    domainIds: string[],
  ): Promise<{ MailingList: string[]; DkimSignature: string[] }>;
  /** Sets accounts' permissions (freeze, unfreeze). */
  setPermissions(
    updates: Array<{ id: string; permissions: Record<string, unknown> }>,
  ): Promise<void>;
  /**
   * Destroys objects of one type; one already gone is fine. A refusal
   * (e.g. a domain still in use: `objectIsLinked`) fails with what holds it.
   */
  destroy(type: StalwartObjectType, ids: string[]): Promise<void>;
  /** Creates domains with automatic DKIM; an existing name resolves to its id (`existed`). */
  createDomains(
    domains: Array<{ name: string; description: string }>,
  ): Promise<DomainCreated[]>;
  /** Reads domains by id with their zone files and DKIM signature counts; unknown ids are left out. */
  readDomains(ids: string[]): Promise<StalwartDomainZone[]>;
  /** Every domain (ids and names), for the drift resync. */
  listDomains(): Promise<StalwartDomain[]>;
  /**
   * Destroys a domain unless something links to it (`objectIsLinked`):
   * then nothing is destroyed and the linking objects are answered — DKIM
   * keys, and accounts and mailing lists by their domain or an alias. A
   * domain already gone answers no links.
   */
  destroyDomain(
    id: string,
  ): Promise<{ linked: Array<{ object: string; id: string }> }>;
  /** Accounts or mailing lists by id: their names and domains (unknown ids left out). */
  readNames(
    type: 'Account' | 'MailingList',
    ids: string[],
  ): Promise<Array<{ id: string; name: string; domainId: string }>>;
}

/** The Stalwart calls the members API makes (a member's mailbox). */
export interface StalwartMailboxApi {
  /**
   * Creates a user account (`x:Account`, a Password credential) on a
   * domain; an address already taken resolves to the holder's id
   * (`primaryKeyViolation`).
   */
  createMailbox(mailbox: {
    name: string;
    domainId: string;
    password: string;
  }): Promise<{ id: string; existed: boolean }>;
  /** Replaces the account's password (`credentials/<key>/secret`). */
  setMailboxPassword(id: string, password: string): Promise<void>;
}

const USING = ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'];
/** Stalwart's limits: calls per request, objects per get. */
const MAX_CALLS = 16;
const MAX_OBJECTS = 500;

type MethodCall = [string, Record<string, unknown>, string];

/** The settings a new tenant domain gets (Stalwart's own docs example, DKIM automatic). */
const NEW_DOMAIN = {
  aliases: {},
  certificateManagement: { '@type': 'Manual' },
  dkimManagement: { '@type': 'Automatic' },
  dnsManagement: { '@type': 'Manual' },
  subAddressing: { '@type': 'Enabled' },
};

/**
 * Stalwart 0.16+ through JMAP (`urn:stalwart:jmap`), Basic or API-key auth.
 * The API URL's path is read once from the session (`/jmap/session`) and
 * joined to the configured base URL, as Stalwart's own CLI does: the
 * session's host may be the public one, unreachable from inside.
 */
export class StalwartClient implements StalwartApi, StalwartMailboxApi {
  private apiPath?: Promise<string>;

  constructor(
    private readonly http: SystemHttp,
    private readonly authorization: string,
  ) {}

  async createDomains(domains: Array<{ name: string; description: string }>) {
    if (domains.length === 0) return [];
    const call = `create domain ${domains.map(d => d.name).join(', ')}`;
    const create = Object.fromEntries(
      domains.map((d, i) => [
        `d${i}`,
        { name: d.name, description: d.description, ...NEW_DOMAIN },
      ]),
    );
    const [set] = await this.jmap(call, [
      ['x:Domain/set', { create }, 'create'],
    ]);
    const created = (set.created ?? {}) as Record<string, { id: string }>;
    const notCreated = (set.notCreated ?? {}) as Record<
      string,
      {
        type: string;
        description?: string;
        existingId?: string;
        objectId?: { id?: string };
      }
    >;
    return domains.map((d, i): DomainCreated => {
      const ok = created[`d${i}`];
      if (ok) return { name: d.name, id: ok.id, existed: false };
      const failed = notCreated[`d${i}`];
      const existing = failed?.existingId ?? failed?.objectId?.id;
      if (failed?.type === 'primaryKeyViolation' && existing) {
        return { name: d.name, id: existing, existed: true };
      }
      throw new SystemError(
        'stalwart',
        `create domain ${d.name}`,
        failed
          ? `${failed.type}${
              failed.description ? `: ${failed.description}` : ''
            }`
          : 'neither created nor refused in the answer',
      );
    });
  }

  async readDomains(ids: string[]) {
    const out: StalwartDomainZone[] = [];
    // one get plus one DKIM query per domain, within a request's call limit
    for (let i = 0; i < ids.length; i += MAX_CALLS - 1) {
      const batch = ids.slice(i, i + MAX_CALLS - 1);
      const calls: MethodCall[] = [
        [
          'x:Domain/get',
          { ids: batch, properties: ['name', 'description', 'dnsZoneFile'] },
          'get',
        ],
        ...batch.map(
          (id, k): MethodCall => [
            'x:DkimSignature/query',
            { filter: { domainId: id } },
            `dkim${k}`,
          ],
        ),
      ];
      const [get, ...dkim] = await this.jmap(
        `read domain ${batch.join(', ')}`,
        calls,
      );
      const list = (get.list ?? []) as Array<{
        id: string;
        name: string;
        description?: string;
        dnsZoneFile?: string;
      }>;
      for (const d of list) {
        const k = batch.indexOf(d.id);
        const signatures = ((dkim[k]?.ids ?? []) as string[]).length;
        out.push({
          id: d.id,
          name: d.name,
          ...(d.description ? { description: d.description } : {}),
          dnsZoneFile: d.dnsZoneFile ?? '',
          dkimSignatures: signatures,
        });
      }
    }
    return out;
  }

  async listDomains() {
    const ids: string[] = [];
    for (let position = 0; ; ) {
      // the server may cap `limit` (RFC 8620 §5.5): page on until its total
      // is reached, or until an empty page if it gives none
      const [query] = await this.jmap('list domains', [
        [
          'x:Domain/query',
          { position, limit: 10_000, calculateTotal: true },
          'query',
        ],
      ]);
      const page = (query.ids ?? []) as string[];
      ids.push(...page);
      position += page.length;
      const total = query.total as number | undefined;
      if (page.length === 0 || (total !== undefined && position >= total)) {
        break;
      }
    }
    const out: StalwartDomain[] = [];
    const perRequest = MAX_CALLS * MAX_OBJECTS;
    for (let i = 0; i < ids.length; i += perRequest) {
      const chunk = ids.slice(i, i + perRequest);
      const calls: MethodCall[] = [];
      for (let k = 0; k < chunk.length; k += MAX_OBJECTS) {
        calls.push([
          'x:Domain/get',
          {
            ids: chunk.slice(k, k + MAX_OBJECTS),
            properties: ['name', 'description'],
          },
          `get${k}`,
        ]);
      }
      for (const get of await this.jmap('list domains', calls)) {
        for (const d of (get.list ?? []) as StalwartDomain[]) {
          out.push({
            id: d.id,
            name: d.name,
            ...(d.description ? { description: d.description } : {}),
          });
        }
      }
    }
    return out;
  }

  async domainAccounts(domainIds: string[]) {
    if (domainIds.length === 0) return [];
    const ids = await this.queryByDomain('Account', domainIds);
    const out: StalwartAccount[] = [];
    for (let i = 0; i < ids.length; i += MAX_OBJECTS) {
      const [get] = await this.jmap('read accounts', [
        [
          'x:Account/get',
          {
            ids: ids.slice(i, i + MAX_OBJECTS),
            properties: ['@type', 'name', 'domainId', 'permissions'],
          },
          'get',
        ],
      ]);
      for (const a of (get.list ?? []) as Array<Record<string, unknown>>) {
        out.push({
          id: String(a.id),
          name: String(a.name),
          domainId: String(a.domainId),
          type: String(a['@type'] ?? 'User'),
          permissions: (a.permissions as Record<string, unknown>) ?? {
            '@type': 'Inherit',
          },
        });
      }
    }
    return out;
  }

  async domainObjects(domainIds: string[]) {
    return {
      MailingList: await this.queryByDomain('MailingList', domainIds),
      DkimSignature: await this.queryByDomain('DkimSignature', domainIds),
    };
  }

  async setPermissions(
    updates: Array<{ id: string; permissions: Record<string, unknown> }>,
  ) {
    for (let i = 0; i < updates.length; i += MAX_OBJECTS) {
      const batch = updates.slice(i, i + MAX_OBJECTS);
      const call = `set the permissions of account ${batch
        .map(u => u.id)
        .join(', ')}`;
      const [set] = await this.jmap(call, [
        [
          'x:Account/set',
          {
            update: Object.fromEntries(
              batch.map(u => [u.id, { permissions: u.permissions }]),
            ),
          },
          'set',
        ],
      ]);
      const failed = Object.entries(
        (set.notUpdated ?? {}) as Record<string, SetError>,
      );
      if (failed.length > 0) {
        throw new SystemError('stalwart', call, describeSetErrors(failed));
      }
    }
  }

  async destroyDomain(id: string) {
    const call = `destroy Domain ${id}`;
    const [set] = await this.jmap(call, [
      ['x:Domain/set', { destroy: [id] }, 'destroy'],
    ]);
    const error = (set.notDestroyed as Record<string, SetError> | undefined)?.[
      id
    ];
    if (!error || error.type === 'notFound') return { linked: [] };
    if (error.type !== 'objectIsLinked') {
      throw new SystemError('stalwart', call, describeSetErrors([[id, error]]));
    }
    return {
      linked: (error.linkedObjects ?? []).map(o => ({
        object: String(o.object ?? '?'),
        id: String(o.id ?? '?'),
      })),
    };
  }

  async readNames(type: 'Account' | 'MailingList', ids: string[]) {
    const out: Array<{ id: string; name: string; domainId: string }> = [];
    for (let i = 0; i < ids.length; i += MAX_OBJECTS) {
      const [get] = await this.jmap(`read ${type} names`, [
        [
          `x:${type}/get`,
          {
            ids: ids.slice(i, i + MAX_OBJECTS),
            properties: ['name', 'domainId'],
          },
          'get',
        ],
      ]);
      for (const o of (get.list ?? []) as Array<Record<string, unknown>>) {
        out.push({
          id: String(o.id),
          name: String(o.name),
          domainId: String(o.domainId),
        });
      }
    }
    return out;
  }

  async destroy(type: StalwartObjectType, ids: string[]) {
    for (let i = 0; i < ids.length; i += MAX_OBJECTS) {
      const batch = ids.slice(i, i + MAX_OBJECTS);
      const call = `destroy ${type} ${batch.join(', ')}`;
      const [set] = await this.jmap(call, [
        [`x:${type}/set`, { destroy: batch }, 'destroy'],
      ]);
      const failed = Object.entries(
        (set.notDestroyed ?? {}) as Record<string, SetError>,
      ).filter(([, e]) => e.type !== 'notFound');
      if (failed.length > 0) {
        throw new SystemError('stalwart', call, describeSetErrors(failed));
      }
    }
  }

  // ---------------------------------------------------- mailboxes (members)

  async createMailbox(mailbox: {
    name: string;
    domainId: string;
    password: string;
  }) {
    // the call's name and errors never carry the password
    const call = `create mailbox ${mailbox.name} on domain ${mailbox.domainId}`;
    const [set] = await this.jmap(call, [
      [
        'x:Account/set',
        {
          create: {
            m: {
              '@type': 'User',
              name: mailbox.name,
              domainId: mailbox.domainId,
              credentials: {
                '0': { '@type': 'Password', secret: mailbox.password },
              },
              roles: { '@type': 'User' },
              permissions: { '@type': 'Inherit' },
              quotas: {},
              aliases: {},
              memberGroupIds: {},
              encryptionAtRest: { '@type': 'Disabled' },
            },
          },
        },
        'set',
      ],
    ]);
    const created = (set.created as Record<string, { id: string }>)?.m;
    if (created) return { id: String(created.id), existed: false };
    const error = (set.notCreated as Record<string, SetErrorWithHolder>)?.m;
    if (
      error?.type === 'primaryKeyViolation' &&
      error.objectId?.object === 'Account' &&
      error.objectId.id
    ) {
      return { id: error.objectId.id, existed: true };
    }
    throw new SystemError(
      'stalwart',
      call,
      describeSetErrors([['m', error ?? { type: 'notCreated' }]]),
    );
  }

  async setMailboxPassword(id: string, password: string) {
    const call = `set the password of mailbox ${id}`;
    const [get] = await this.jmap(call, [
      ['x:Account/get', { ids: [id], properties: ['credentials'] }, 'get'],
    ]);
    const account = ((get.list ?? []) as Array<Record<string, unknown>>)[0];
    if (!account) throw new SystemError('stalwart', call, 'no such account');
    const credentials = (account.credentials ?? {}) as Record<
      string,
      { '@type'?: string }
    >;
    const key = Object.keys(credentials).find(
      k => credentials[k]['@type'] === 'Password',
    );
    const [set] = await this.jmap(call, [
      [
        'x:Account/set',
        {
          update: {
            [id]: key
              ? { [`credentials/${key}/secret`]: password }
              : {
                  credentials: {
                    ...credentials,
                    [String(Object.keys(credentials).length)]: {
                      '@type': 'Password',
                      secret: password,
                    },
                  },
                },
          },
        },
        'set',
      ],
    ]);
    const failed = Object.entries(
      (set.notUpdated ?? {}) as Record<string, SetError>,
    );
    if (failed.length > 0) {
      throw new SystemError('stalwart', call, describeSetErrors(failed));
    }
  }

  /** The ids of the objects of `type` on these domains (`filter: {domainId}`), in pages. */
  private async queryByDomain(
    type: 'Account' | 'MailingList' | 'DkimSignature',
    domainIds: string[],
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < domainIds.length; i += MAX_CALLS) {
      let pending = domainIds.slice(i, i + MAX_CALLS).map(id => ({
        id,
        position: 0,
      }));
      while (pending.length > 0) {
        const answers = await this.jmap(
          `list the ${type} objects of domain ${pending
            .map(p => p.id)
            .join(', ')}`,
          pending.map(
            (p, k): MethodCall => [
              `x:${type}/query`,
              {
                filter: { domainId: p.id },
                position: p.position,
                limit: MAX_OBJECTS,
                calculateTotal: true,
              },
              `q${k}`,
            ],
          ),
        );
        const next: typeof pending = [];
        for (let k = 0; k < answers.length; k++) {
          const page = (answers[k].ids ?? []) as string[];
          ids.push(...page);
          const position = pending[k].position + page.length;
          const total = answers[k].total as number | undefined;
          if (page.length > 0 && (total === undefined || position < total)) {
            next.push({ id: pending[k].id, position });
          }
        }
        pending = next;
      }
    }
    return [...new Set(ids)];
  }

  /** The session's API path, read once (`GET /jmap/session`). */
  private path(): Promise<string> {
    if (!this.apiPath) {
      this.apiPath = this.http
        .request({
          call: 'read the JMAP session',
          path: '/jmap/session',
          headers: { authorization: this.authorization },
        })
        .then(res => {
          const session = res.json<{
            apiUrl?: string;
            capabilities?: Record<string, unknown>;
          }>();
          if (!session.capabilities?.['urn:stalwart:jmap']) {
            throw new SystemError(
              'stalwart',
              'read the JMAP session',
              'the server does not offer urn:stalwart:jmap (Stalwart 0.16 or later is needed)',
            );
          }
          return new URL(session.apiUrl ?? '/jmap/', 'http://x').pathname;
        });
      this.apiPath.catch(() => {
        this.apiPath = undefined;
      });
    }
    return this.apiPath;
  }

  /** One JMAP request; a method-level error fails the call with its type. */
  private async jmap(
    call: string,
    methodCalls: MethodCall[],
  ): Promise<Array<Record<string, unknown>>> {
    const res = await this.http.request({
      call,
      method: 'POST',
      path: await this.path(),
      headers: {
        authorization: this.authorization,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ using: USING, methodCalls }),
    });
    const body = res.json<{
      methodResponses?: Array<[string, Record<string, unknown>, string]>;
    }>();
    const responses = body.methodResponses ?? [];
    return methodCalls.map(([, , id]) => {
      const found = responses.find(r => r[2] === id);
      if (!found) {
        throw new SystemError('stalwart', call, `no answer to ${id}`);
      }
      if (found[0] === 'error') {
        const e = found[1] as { type?: string; description?: string };
        throw new SystemError(
          'stalwart',
          call,
          `${e.type ?? 'error'}${e.description ? `: ${e.description}` : ''}`,
          res.status,
        );
      }
      return found[1];
    });
  }
}

/** A SetError naming the object that holds a key (`primaryKeyViolation`). */
interface SetErrorWithHolder extends SetError {
  objectId?: { object?: string; id?: string };
}

/** A JMAP SetError as Stalwart sends it. */
interface SetError {
  type: string;
  description?: string;
  linkedObjects?: Array<{ object?: string; id?: string }>;
}

/** `<id>: objectIsLinked (held by Account a1, MailingList m2)`, one per failed object. */
function describeSetErrors(failed: Array<[string, SetError]>): string {
  return failed
    .map(([id, e]) => {
      const held = (e.linkedObjects ?? [])
        .map(o => `${o.object ?? '?'} ${o.id ?? '?'}`)
        .join(', ');
      return `${id}: ${e.type}${e.description ? `: ${e.description}` : ''}${
        held ? ` (held by ${held})` : ''
      }`;
    })
    .join('; ');
}

/** `Basic base64(user:password)` or `Bearer <API key>`. */
export function stalwartAuthorization(options: {
  username?: string;
  password?: string;
  apiKey?: string;
}): string {
  if (options.apiKey) return `Bearer ${options.apiKey}`;
  return `Basic ${Buffer.from(
    `${options.username ?? ''}:${options.password ?? ''}`,
  ).toString('base64')}`;
}

/**
 * The records of a BIND zone file (`<fqdn>. IN <TYPE> <rdata>` per line, a
 * long TXT as `( "chunk" "chunk" )`, possibly over several lines), TXT
 * chunks joined, names without the trailing dot.
 */
export function parseZoneFile(text: string): DnsRecord[] {
  const records: DnsRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = stripComment(lines[i]);
    while (open(line) && i + 1 < lines.length) {
      line = `${line} ${stripComment(lines[++i])}`;
    }
    const m = /^(\S+)\s+(?:\d+\s+)?IN\s+(\S+)\s+(.*)$/i.exec(line.trim());
    if (!m) continue;
    const [, name, type, rdata] = m;
    const upper = type.toUpperCase();
    const value =
      upper === 'TXT'
        ? [...rdata.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(q => q[1]).join('')
        : rdata.replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
    records.push({ name: name.replace(/\.$/, ''), type: upper, value });
  }
  return records;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== '\\') quoted = !quoted;
    if (line[i] === ';' && !quoted) return line.slice(0, i);
  }
  return line;
}

function open(line: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && line[i] === '(') depth++;
    if (!quoted && line[i] === ')') depth--;
  }
  return depth > 0;
}
