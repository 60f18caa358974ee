/*
 * A local DNS server for the domain checks' tests and benchmark: answers MX
 * and TXT from a zone the test edits (UDP and TCP on one port of
 * 127.0.0.1), NXDOMAIN for names it does not hold, and counts the queries.
 */
import dns2 from 'dns2';

const { Packet } = dns2;

export interface LocalZone {
  /** MX records: `[priority, exchange]` (the exchange as written, e.g. with a trailing dot). */
  mx: Map<string, Array<[number, string]>>;
  /** TXT records: each record's strings (chunks). */
  txt: Map<string, string[][]>;
}

export interface LocalDnsServer {
  /** `127.0.0.1:<port>`, for `provisioning.domains.resolvers`. */
  address: string;
  zone: LocalZone;
  /** The queries received, as `TYPE name`. */
  queries: string[];
  /** Publishes a TXT record (replacing those at the name when `replace`). */
  txt(name: string, value: string | string[], replace?: boolean): void;
  mx(name: string, priority: number, exchange: string): void;
  /** Removes every record at the name. */
  clear(name: string): void;
  close(): Promise<void>;
}

/** A resource record as the handler writes it (the typings ask for more). */
type Answer = InstanceType<typeof Packet>['answers'][number];

const key = (name: string) => name.toLowerCase().replace(/\.$/, '');

export async function startLocalDnsServer(): Promise<LocalDnsServer> {
  const zone: LocalZone = { mx: new Map(), txt: new Map() };
  const queries: string[] = [];
  const handle: dns2.DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    const name = key(question.name);
    const type = question.type;
    queries.push(
      `${type === Packet.TYPE.MX ? 'MX' : String(type)} ${name}`.replace(
        `${Packet.TYPE.TXT} `,
        'TXT ',
      ),
    );
    const exists = zone.mx.has(name) || zone.txt.has(name);
    if (!exists) {
      response.header.rcode = Packet.RCODE.NXDOMAIN;
      send(response);
      return;
    }
    if (type === Packet.TYPE.MX) {
      for (const [priority, exchange] of zone.mx.get(name) ?? []) {
        response.answers.push({
          name: question.name,
          type: Packet.TYPE.MX,
          class: Packet.CLASS.IN,
          ttl: 60,
          priority,
          exchange: exchange.replace(/\.$/, ''),
        } as unknown as Answer);
      }
    }
    if (type === Packet.TYPE.TXT) {
      for (const data of zone.txt.get(name) ?? []) {
        response.answers.push({
          name: question.name,
          type: Packet.TYPE.TXT,
          class: Packet.CLASS.IN,
          ttl: 60,
          data,
        } as unknown as Answer);
      }
    }
    send(response);
  };
  const udp = dns2.createServer({ udp: true, handle });
  const addresses = await udp.listen({
    udp: { port: 0, address: '127.0.0.1' },
  });
  const port = (addresses as { udp?: { port: number } }).udp?.port;
  if (!port) throw new Error('local DNS server: no UDP port');
  // answers over 512 bytes (an RSA DKIM key) come again over TCP, same port
  const tcp = dns2.createServer({ tcp: true, handle });
  await tcp.listen({ tcp: { port, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${port}`,
    zone,
    queries,
    txt(name, value, replace = true) {
      const chunks = typeof value === 'string' ? [value] : value;
      const list = replace ? [] : zone.txt.get(key(name)) ?? [];
      zone.txt.set(key(name), [...list, chunks]);
    },
    mx(name, priority, exchange) {
      const list = zone.mx.get(key(name)) ?? [];
      zone.mx.set(key(name), [...list, [priority, exchange]]);
    },
    clear(name) {
      zone.mx.delete(key(name));
      zone.txt.delete(key(name));
    },
    close: async () => {
      await Promise.all([udp.close(), tcp.close()]);
    },
  };
}
