import { Config } from '@backstage/config';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { Knex } from 'knex';
import { DEFAULT_RESOLVERS, PinnedResolver } from './DnsResolver';
import { DomainService } from './DomainService';

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
      servers: c?.getOptionalStringArray('resolvers') ?? DEFAULT_RESOLVERS,
      ...(c?.has('timeoutMs') ? { timeoutMs: c.getNumber('timeoutMs') } : {}),
      ...(c?.has('tries') ? { tries: c.getNumber('tries') } : {}),
    }),
    options: Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    ),
  });
}
