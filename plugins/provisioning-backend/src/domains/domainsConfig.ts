import { Config } from '@backstage/config';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { Knex } from 'knex';
import { DEFAULT_RESOLVERS, PinnedResolver } from './DnsResolver';
import { DomainService } from './DomainService';

/**
 * `provisioning.domains.resolvers`: a list, or a comma-separated string (an
 * environment variable, e.g. PROVISIONING_DOMAINS_RESOLVERS in
 * app-config.yaml); undefined when not set or empty.
 */
export function resolversFromConfig(c?: Config): string[] | undefined {
  const value = c?.getOptional('resolvers');
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const list = value
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '');
    // an empty variable counts as unset
    return list.length > 0 ? list : undefined;
  }
  return c!.getStringArray('resolvers');
}

/** The domain checks as `provisioning.domains` configures them (config.d.ts). */
export function domainServiceFromConfig(
  config: Config,
  knex: Knex,
  trail: Pick<AuditTrailService, 'record'>,
): DomainService {
  const c = config.getOptionalConfig('provisioning.domains');
  const seconds = (key: string) => {
    const v = c?.getOptionalNumber(key);
    return v !== undefined ? v * 1000 : undefined;
  };
  const options = {
    unverifiedIntervalMs: seconds('unverifiedInterval'),
    verifiedIntervalMs: seconds('verifiedInterval'),
    batchSize: c?.getOptionalNumber('batchSize'),
    concurrency: c?.getOptionalNumber('concurrency'),
  };
  return new DomainService({
    knex,
    trail,
    resolver: new PinnedResolver({
      servers: resolversFromConfig(c) ?? DEFAULT_RESOLVERS,
      ...(c?.has('timeoutMs') ? { timeoutMs: c.getNumber('timeoutMs') } : {}),
      ...(c?.has('tries') ? { tries: c.getNumber('tries') } : {}),
    }),
    options: Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    ),
  });
}
