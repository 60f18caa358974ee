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

/** The Stalwart calls provisioning makes (0.16+: JMAP management at `POST /jmap`). */
export interface StalwartApi {
  /** Creates domains with automatic DKIM; an existing name resolves to its id (`existed`). */
  createDomains(
    domains: Array<{ name: string; description: string }>,
  ): Promise<DomainCreated[]>;
  /** Reads domains by id with their zone files and DKIM signature counts; unknown ids are left out. */
  readDomains(ids: string[]): Promise<StalwartDomainZone[]>;
  /** Every domain (ids and names), for the drift resync. */
  listDomains(): Promise<StalwartDomain[]>;
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
export class StalwartClient implements StalwartApi {
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
