/*
 * The DNS stand-in: a small authoritative DNS server (dns2, UDP and TCP on one
 * port of the loopback) answering MX and TXT from records held in memory —
 * the portal's domain checks (provisioning.domains.resolvers) ask it instead
 * of public resolvers. Empty at start: every name is NXDOMAIN. A name that
 * holds records of another type answers NOERROR with no answers (NODATA).
 * Records are published and removed through the control endpoint
 * (PUT/DELETE /dns/records); reset empties it.
 */
import dns2 from 'dns2';
import { isObject } from './http';

const { Packet } = dns2;

export const DNS_RECORD_TYPES = ['MX', 'TXT'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** One record: TXT value the text (unquoted; split into 255-byte strings on the wire), MX value `<priority> <exchange>`. */
export interface DnsRecord {
  name: string;
  type: DnsRecordType;
  value: string;
}

export class DnsRecordError extends Error {}

/** A resource record as the handler writes it (the typings ask for more). */
type Answer = InstanceType<typeof Packet>['answers'][number];

const normalizeName = (name: string) => name.toLowerCase().replace(/\.$/, '');

const NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Unquotes zone-file TXT data (`"a" "b"` → `ab`); bare text is taken as is. */
function unquoteTxt(data: string): string {
  const trimmed = data.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  const parts: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"\s*/y;
  let end = 0;
  for (let m = re.exec(trimmed); m !== null; m = re.exec(trimmed)) {
    parts.push(m[1].replace(/\\(.)/g, '$1'));
    end = re.lastIndex;
  }
  if (end !== trimmed.length) {
    throw new DnsRecordError(
      `"record": the TXT data ${data} is not quoted strings`,
    );
  }
  return parts.join('');
}

/**
 * A record from `{name, type, value}` or from a zone-file line
 * `{record: "<name>. [ttl] IN <type> <data>"}` (as the portal's Domains tab
 * shows what to publish); throws DnsRecordError naming the key.
 */
export function parseDnsRecord(body: unknown): DnsRecord {
  if (!isObject(body)) {
    throw new DnsRecordError(
      'the body must be {"name", "type", "value"} or {"record": "<zone-file line>"}',
    );
  }
  let name: unknown = body.name;
  let type: unknown = body.type;
  let value: unknown = body.value;
  if (body.record !== undefined) {
    if (typeof body.record !== 'string') {
      throw new DnsRecordError('"record" must be a zone-file line');
    }
    const m = /^\s*(\S+)\s+(?:\d+\s+)?IN\s+([A-Za-z]+)\s+(.+?)\s*$/.exec(
      body.record,
    );
    if (!m) {
      throw new DnsRecordError(
        `"record": ${JSON.stringify(
          body.record,
        )} is not a zone-file line "<name>. IN <type> <data>"`,
      );
    }
    name = m[1];
    type = m[2].toUpperCase();
    value = m[3];
    if (type === 'TXT') value = unquoteTxt(m[3]);
  }
  if (typeof name !== 'string' || !NAME.test(normalizeName(name))) {
    throw new DnsRecordError(
      `"name" must be a DNS name, got ${JSON.stringify(name)}`,
    );
  }
  if (!DNS_RECORD_TYPES.includes(type as DnsRecordType)) {
    throw new DnsRecordError(
      `"type" must be one of ${DNS_RECORD_TYPES.join(
        ', ',
      )}, got ${JSON.stringify(type)}`,
    );
  }
  if (typeof value !== 'string' || value === '') {
    throw new DnsRecordError('"value" must be a non-empty string');
  }
  if (type === 'MX') {
    const mx = /^(\d{1,5})\s+(\S+)$/.exec(value.trim());
    if (!mx || Number(mx[1]) > 65535 || !NAME.test(normalizeName(mx[2]))) {
      throw new DnsRecordError(
        `"value" of an MX record must be "<priority> <exchange>", got ${JSON.stringify(
          value,
        )}`,
      );
    }
    value = `${Number(mx[1])} ${normalizeName(mx[2])}.`;
  }
  return {
    name: normalizeName(name),
    type: type as DnsRecordType,
    value: value as string,
  };
}

/** A TXT value as the strings of at most 255 bytes the wire carries. */
function txtStrings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) {
    out.push(bytes.subarray(i, i + 255).toString('utf8'));
  }
  return out.length > 0 ? out : [''];
}

export class DnsStandIn {
  private records: DnsRecord[] = [];
  private udp?: ReturnType<typeof dns2.createUDPServer>;
  private tcp?: ReturnType<typeof dns2.createTCPServer>;
  /** The queries received, as `TYPE name`. */
  readonly queries: string[] = [];
  port = 0;

  /** Adds a record (publishing one that exists changes nothing) → whether it was new. */
  publish(record: DnsRecord): boolean {
    if (this.records.some(r => same(r, record))) return false;
    this.records.push({ ...record });
    return true;
  }

  /** Removes the records matching name (and type, and value when given) → how many. */
  remove(filter: { name: string; type?: DnsRecordType; value?: string }) {
    const name = normalizeName(filter.name);
    const before = this.records.length;
    this.records = this.records.filter(
      r =>
        !(
          r.name === name &&
          (filter.type === undefined || r.type === filter.type) &&
          (filter.value === undefined || r.value === filter.value)
        ),
    );
    return before - this.records.length;
  }

  list(): DnsRecord[] {
    return this.records.map(r => ({ ...r }));
  }

  reset() {
    this.records = [];
    this.queries.length = 0;
  }

  /** Listens on UDP and TCP, on the same port (0: any free one). */
  async start(port: number, host: string): Promise<number> {
    const handle: dns2.DnsHandler = (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      if (!question) {
        response.header.rcode = Packet.RCODE.FORMERR;
        send(response);
        return;
      }
      const name = normalizeName(question.name);
      const type = Object.entries(Packet.TYPE).find(
        ([, v]) => v === question.type,
      )?.[0];
      this.queries.push(`${type ?? question.type} ${name}`);
      const atName = this.records.filter(r => r.name === name);
      if (atName.length === 0) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
        send(response);
        return;
      }
      for (const r of atName) {
        if (r.type !== type) continue;
        const base = {
          name: question.name,
          class: Packet.CLASS.IN,
          ttl: 60,
        };
        if (r.type === 'MX') {
          const [priority, exchange] = r.value.split(' ');
          response.answers.push({
            ...base,
            type: Packet.TYPE.MX,
            priority: Number(priority),
            exchange: exchange.replace(/\.$/, ''),
          } as unknown as Answer);
        } else {
          response.answers.push({
            ...base,
            type: Packet.TYPE.TXT,
            data: txtStrings(r.value),
          } as unknown as Answer);
        }
      }
      send(response);
    };
    // UDP on the port asked for (0: any free one), then TCP on the same
    // number. dns2's own listen() never rejects — an EADDRINUSE became an
    // unhandled 'error' and a wait for ever — so the sockets are bound here
    // with their errors handled. With port 0 the TCP twin of a free UDP port
    // may be taken (by anything on the machine): then another port is tried.
    for (let attempt = 1; ; attempt++) {
      const udp = dns2.createUDPServer(handle);
      const bound = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve(udp.address().port);
        });
      });
      const tcp = dns2.createTCPServer(handle);
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(bound, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        await new Promise<void>(resolve => udp.close(() => resolve()));
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (port === 0 && inUse && attempt < 20) continue;
        throw Object.assign(err as Error, { port: bound });
      }
      this.udp = udp;
      this.tcp = tcp;
      this.port = bound;
      return bound;
    }
  }

  async stop() {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    // the TCP listener stops accepting at once; an idle client connection
    // (kept open up to 10 s, RFC 7766) is not waited for
    tcp?.close();
    if (udp) await new Promise<void>(resolve => udp.close(() => resolve()));
  }
}

function same(a: DnsRecord, b: DnsRecord) {
  return a.name === b.name && a.type === b.type && a.value === b.value;
}
