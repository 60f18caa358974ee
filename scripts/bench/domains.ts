/*
 * Domain checks benchmark: the production DomainService and PinnedResolver
 * (plugins/provisioning-backend/src/domains) recheck `--domains` domains,
 * 5 records each (MX, SPF, one DKIM key, DMARC, ownership), against a local
 * DNS server (dns2, the tests' server) in the same process, on an
 * in-memory SQLite (or `--pg URL`: the bench drops and recreates the
 * provisioning tables there; give it a throwaway database).
 * Run through scripts/bench/domains (see scripts/bench/README.md).
 */
import { mockServices } from '@backstage/backend-test-utils';
import {
  DomainService,
  PinnedResolver,
  ProvisioningStore,
} from '@internal/plugin-provisioning-backend';
import knexFactory from 'knex';
import { performance } from 'perf_hooks';
import { startLocalDnsServer } from '../../plugins/provisioning-backend/src/__testUtils__/dnsServer';
import { gitCommit, intOption, machineLine, table } from './report';

const TARGET_SECONDS = 10;

async function main() {
  if (process.argv.includes('--help')) {
    console.log(
      'usage: scripts/bench/domains [--domains N (default 1000)] [--concurrency N (default 16)]\n' +
        '                             [--batch N (default 100)] [--pg postgresql://user@host:port/database]',
    );
    return;
  }
  const n = intOption('domains', 1000);
  const concurrency = intOption('concurrency', 16);
  const batchSize = intOption('batch', 100);
  const pgIndex = process.argv.indexOf('--pg');
  const pg = pgIndex >= 0 ? process.argv[pgIndex + 1] : undefined;

  console.log('Dezky domain checks benchmark');
  console.log(`commit ${gitCommit()}; ${machineLine()}`);
  console.log(
    `database ${pg ? 'PostgreSQL' : 'SQLite (in memory)'}; ${n} domains; ` +
      `batches of ${batchSize}, ${concurrency} domains at once\n`,
  );

  const knex = pg
    ? knexFactory({ client: 'pg', connection: pg, pool: { min: 1, max: 20 } })
    : knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
  if (pg) {
    for (const t of [
      'provisioning_domains',
      'provisioning_event_cursors',
      'provisioning_lifecycle_events',
      'provisioning_frozen',
      'provisioning_credentials',
      'provisioning_dns_records',
      'provisioning_attempts',
      'provisioning_conditions',
      'provisioning_tenants',
      'knex_migrations',
      'knex_migrations_lock',
    ]) {
      await knex.schema.dropTableIfExists(t);
    }
  }
  const store = await ProvisioningStore.create({
    database: mockServices.database({ knex }),
  });
  const dns = await startLocalDnsServer();
  try {
    const names = Array.from(
      { length: n },
      (_, i) => `t${String(i + 1).padStart(5, '0')}`,
    );
    const now = new Date().toISOString();
    await store.syncTenants(
      names.map(name => ({
        tenantRef: `tenant:default/${name}`,
        name,
        partnerRef: 'partner:default/bench',
        desired: { name, domains: [`${name}.bench.example`] },
        desiredHash: name,
        gitStatus: 'active' as const,
        plan: 'business',
        seats: 10,
      })),
      now,
    );
    for (const name of names) {
      const domain = `${name}.bench.example`;
      await store.saveDnsRecords(
        `tenant:default/${name}`,
        [
          {
            domain,
            zoneFile: '',
            records: [
              { name: domain, type: 'MX', value: '10 mail.dezky.example.' },
              { name: domain, type: 'TXT', value: 'v=spf1 mx -all' },
              {
                name: `v1-ed25519-20261207._domainkey.${domain}`,
                type: 'TXT',
                value: `v=DKIM1; k=ed25519; h=sha256; p=${Buffer.from(
                  name.padEnd(32, 'k'),
                ).toString('base64')}`,
              },
            ],
          },
        ],
        now,
      );
    }
    let wallClock = Date.now();
    const domains = new DomainService({
      knex,
      trail: { record: async () => [] },
      resolver: new PinnedResolver({ servers: [dns.address] }),
      now: () => wallClock,
      options: { batchSize, concurrency },
    });
    await domains.sync();

    // publish every expected record, as the listing gives them
    let records = 0;
    for (const name of names) {
      for (const d of await domains.list(`tenant:default/${name}`)) {
        for (const r of d.records) {
          records += 1;
          if (r.type === 'MX') {
            const [prio, host] = r.expected!.split(' ');
            dns.mx(r.name, Number(prio), host);
          } else {
            dns.txt(r.name, r.expected!);
          }
        }
      }
    }

    const rows: string[][] = [
      [
        'run',
        'domains',
        'verified',
        'DNS queries',
        'wall',
        'domains/s',
        'target',
      ],
    ];
    const run = async (label: string) => {
      const queries = dns.queries.length;
      const t0 = performance.now();
      const result = await domains.recheckDue(600_000);
      const seconds = (performance.now() - t0) / 1000;
      rows.push([
        label,
        String(result.checked),
        String(result.verified),
        String(dns.queries.length - queries),
        `${seconds.toFixed(2)} s`,
        (result.checked / seconds).toFixed(0),
        seconds <= TARGET_SECONDS * (n / 1000)
          ? `met (<= ${TARGET_SECONDS} s per 1,000)`
          : `MISSED (<= ${TARGET_SECONDS} s per 1,000)`,
      ]);
      return result;
    };
    console.log(`${n} domains, ${records} records (${records / n} per domain)`);
    const first = await run('all due, all published');
    if (first.verified !== n) {
      throw new Error(`expected ${n} verified, got ${first.verified}`);
    }
    // a day and a half later every domain is due again; break a tenth
    wallClock += 36 * 3_600_000;
    for (const name of names.filter((_, i) => i % 10 === 0)) {
      dns.clear(`_dezky.${name}.bench.example`);
    }
    const second = await run('all due, 10 % missing');
    if (second.verified !== n - Math.ceil(n / 10)) {
      throw new Error(
        `expected ${n - Math.ceil(n / 10)} verified, got ${second.verified}`,
      );
    }
    console.log(`\n${table(rows)}`);
  } finally {
    await dns.close();
    await knex.destroy();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
