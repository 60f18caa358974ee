/*
 * The resolver of the domain checks: pinned to the configured servers
 * (`provisioning.domains.resolvers`), never the machine's own resolver.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { LookupResult, normalizeMx } from './records';

/** Public resolvers asked when none are configured. */
export const DEFAULT_RESOLVERS = ['1.1.1.1', '8.8.8.8'];

/** The lookups a domain check makes. */
export interface DnsLookup {
  lookup(type: 'MX' | 'TXT', name: string): Promise<LookupResult>;
}

/**
 * Checks a configured server: an IP address, optionally with a port
 * (`1.1.1.1`, `1.1.1.1:53`, `[2606:4700::1111]:53`). Host names are refused:
 * resolving them would need the machine's resolver.
 */
export function parseResolver(server: string): string {
  const s = server.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(s);
  let host: string | undefined;
  let port: string | undefined;
  if (v6) [, host, port] = v6;
  else if (v4) [, host, port] = v4;
  else if (isIP(s) === 6) host = s;
  if (!host || isIP(host) === 0) {
    throw new Error(
      `provisioning.domains.resolvers: "${server}" is not an IP address (optionally with :port); host names are not accepted, as resolving them would use the machine's resolver`,
    );
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new Error(
      `provisioning.domains.resolvers: "${server}" has an invalid port`,
    );
  }
  return s;
}

const NONE_CODES = new Set<string>([dns.NODATA, dns.NOTFOUND]);

/**
 * Lookups through `dns.promises.Resolver` with only the given servers
 * (`setServers`), each query bounded by `timeoutMs` and `tries`.
 */
export class PinnedResolver implements DnsLookup {
  private readonly resolver: dns.Resolver;

  constructor(options: {
    servers: string[];
    timeoutMs?: number;
    tries?: number;
  }) {
    if (options.servers.length === 0) {
      throw new Error('provisioning.domains.resolvers: at least one server');
    }
    this.resolver = new dns.Resolver({
      timeout: options.timeoutMs ?? 2000,
      tries: options.tries ?? 2,
    });
    this.resolver.setServers(options.servers.map(parseResolver));
  }

  /** The servers asked (as setServers took them). */
  servers(): string[] {
    return this.resolver.getServers();
  }

  async lookup(type: 'MX' | 'TXT', name: string): Promise<LookupResult> {
    try {
      if (type === 'MX') {
        const found = await this.resolver.resolveMx(name);
        return {
          kind: 'found',
          values: found.map(m => normalizeMx(`${m.priority} ${m.exchange}`)),
        };
      }
      const found = await this.resolver.resolveTxt(name);
      return { kind: 'found', values: found.map(chunks => chunks.join('')) };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && NONE_CODES.has(code)) return { kind: 'none' };
      return {
        kind: 'error',
        message: `${type} ${name}: ${code ?? (error as Error).message}`,
      };
    }
  }
}
