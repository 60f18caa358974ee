/*
 * A tenant's mail domains: their ownership tokens, DMARC settings and DNS
 * checks, stored in provisioning_domains (docs/provisioning.md#domains).
 */
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { auditActorOf, AuditTrailService } from '@internal/plugin-audit-node';
import {
  DmarcPolicy,
  DmarcSetting,
  DnsRecord,
  DomainRecordCheck,
  TenantDomain,
} from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { createHash, randomBytes } from 'node:crypto';
import { DnsLookup } from './DnsResolver';
import {
  compareRecord,
  expectedRecords,
  LookupResult,
  lookupsOf,
} from './records';

const HOUR = 3_600_000;
/** Rows per insert or `IN (…)` list. */
const CHUNK = 200;

export interface DomainCheckOptions {
  /** Between checks of a domain with anything not ok (ms). Default 1 hour. */
  unverifiedIntervalMs?: number;
  /** Between checks of a verified domain (ms). Default 1 day. */
  verifiedIntervalMs?: number;
  /** Domains read from the queue at a time. Default 100. */
  batchSize?: number;
  /** Domains checked at once. Default 16. */
  concurrency?: number;
}

interface DomainRow {
  tenant_ref: string;
  domain: string;
  token: string;
  dmarc_policy: DmarcPolicy;
  dmarc_rua: string | null;
  records: string | null;
  verified: boolean | number;
  verified_at: string | null;
  last_checked_at: string | null;
  next_check_at: string;
  created_at: string;
}

const chunks = <T>(items: T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    out.push(items.slice(i, i + CHUNK));
  }
  return out;
};

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}

/**
 * When a domain is next checked: its own slot in the interval (a stable
 * offset from a hash of tenant and domain), the first slot at least half an
 * interval after the last check — on average one interval apart, and
 * domains spread over the interval whatever their last check.
 */
export function nextCheckAt(
  key: string,
  lastCheckedMs: number,
  intervalMs: number,
): number {
  const offset =
    createHash('sha256').update(key).digest().readUInt32BE(0) % intervalMs;
  const earliest = lastCheckedMs + intervalMs / 2;
  const into = (((offset - earliest) % intervalMs) + intervalMs) % intervalMs;
  return earliest + into;
}

/** The domains of each tenant in spec.domains, as the engine stores the desired state. */
const desiredDomains = (desired: string): string[] => {
  try {
    const d = JSON.parse(desired) as { domains?: unknown };
    return Array.isArray(d.domains)
      ? d.domains.filter((x): x is string => typeof x === 'string')
      : [];
  } catch {
    return [];
  }
};

export class DomainService {
  private readonly unverifiedMs: number;
  private readonly verifiedMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(
    private readonly deps: {
      knex: Knex;
      resolver: DnsLookup;
      trail: Pick<AuditTrailService, 'record'>;
      now?: () => number;
      options?: DomainCheckOptions;
    },
  ) {
    const o = deps.options ?? {};
    this.unverifiedMs = o.unverifiedIntervalMs ?? HOUR;
    this.verifiedMs = o.verifiedIntervalMs ?? 24 * HOUR;
    this.batchSize = o.batchSize ?? 100;
    this.concurrency = o.concurrency ?? 16;
  }

  private now() {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /**
   * Brings provisioning_domains in line with spec.domains: a new domain
   * gets its row (a new random token, DMARC `none`, checked at once); a
   * domain gone from spec.domains (or its tenant from the catalog) loses
   * it. `tenantRef` limits this to one tenant.
   */
  async sync(tenantRef?: string): Promise<{ added: number; removed: number }> {
    const { knex } = this.deps;
    const now = new Date(this.now()).toISOString();
    return knex.transaction(async tx => {
      const tq = tx('provisioning_tenants')
        .whereNull('removed_at')
        .select('tenant_ref', 'desired');
      if (tenantRef) tq.where({ tenant_ref: tenantRef });
      const wanted = new Set<string>();
      for (const t of (await tq) as Array<{
        tenant_ref: string;
        desired: string;
      }>) {
        for (const d of desiredDomains(t.desired)) {
          wanted.add(`${t.tenant_ref}\n${d}`);
        }
      }
      const eq = tx<DomainRow>('provisioning_domains').select(
        'tenant_ref',
        'domain',
      );
      if (tenantRef) eq.where({ tenant_ref: tenantRef });
      const existing = new Set(
        (await eq).map(r => `${r.tenant_ref}\n${r.domain}`),
      );
      const add = [...wanted].filter(k => !existing.has(k));
      const remove = [...existing].filter(k => !wanted.has(k));
      for (const batch of chunks(add)) {
        await tx('provisioning_domains')
          .insert(
            batch.map(k => {
              const [ref, domain] = k.split('\n');
              return {
                tenant_ref: ref,
                domain,
                token: randomBytes(16).toString('hex'),
                dmarc_policy: 'none',
                verified: false,
                next_check_at: now,
                created_at: now,
              };
            }),
          )
          .onConflict(['tenant_ref', 'domain'])
          .ignore();
      }
      for (const k of remove) {
        const [ref, domain] = k.split('\n');
        await tx('provisioning_domains')
          .where({ tenant_ref: ref, domain })
          .del();
      }
      return { added: add.length, removed: remove.length };
    });
  }

  /** The records Stalwart's zone files ask for, by `tenant\ndomain`. */
  private async zones(tenantRefs: string[]): Promise<Map<string, DnsRecord[]>> {
    const out = new Map<string, DnsRecord[]>();
    for (const batch of chunks([...new Set(tenantRefs)])) {
      const rows = (await this.deps
        .knex('provisioning_dns_records')
        .whereIn('tenant_ref', batch)
        .select('tenant_ref', 'domain', 'records')) as Array<{
        tenant_ref: string;
        domain: string;
        records: string;
      }>;
      for (const r of rows) {
        out.set(`${r.tenant_ref}\n${r.domain}`, JSON.parse(r.records));
      }
    }
    return out;
  }

  private settingOf(row: DomainRow): DmarcSetting {
    return {
      policy: row.dmarc_policy,
      ...(row.dmarc_rua ? { rua: row.dmarc_rua } : {}),
    };
  }

  private view(row: DomainRow, zone: DnsRecord[] | undefined): TenantDomain {
    const dmarc = this.settingOf(row);
    const checked: DomainRecordCheck[] = row.records
      ? JSON.parse(row.records)
      : [];
    // what is expected now (a DMARC change, new DKIM keys) with the last check's findings
    const records = expectedRecords({
      domain: row.domain,
      token: row.token,
      dmarc,
      ...(zone ? { zone } : {}),
    }).map(e => {
      const last = checked.find(
        c =>
          c.kind === e.kind && c.name === e.name && c.expected === e.expected,
      );
      if (last) return last;
      const fresh = compareRecord(e, undefined);
      return fresh.status === 'pending'
        ? fresh
        : {
            ...fresh,
            // not looked up yet (a new domain, or what a DMARC change or
            // new DKIM keys expect now): not "missing" until a check says so
            status: 'unchecked' as const,
            message: 'not checked yet',
          };
    });
    return {
      domain: row.domain,
      records,
      verified: Boolean(row.verified),
      ...(row.verified_at ? { verifiedAt: row.verified_at } : {}),
      ...(row.last_checked_at ? { lastCheckedAt: row.last_checked_at } : {}),
      nextCheckAt: row.next_check_at,
      dmarc,
    };
  }

  /** A tenant's domains as last checked (rows made for new domains first). */
  async list(tenantRef: string): Promise<TenantDomain[]> {
    await this.sync(tenantRef);
    const rows = await this.deps
      .knex<DomainRow>('provisioning_domains')
      .where({ tenant_ref: tenantRef })
      .orderBy('domain');
    const zones = await this.zones([tenantRef]);
    return rows.map(r => this.view(r, zones.get(`${tenantRef}\n${r.domain}`)));
  }

  private async row(tenantRef: string, domain: string) {
    await this.sync(tenantRef);
    return this.deps
      .knex<DomainRow>('provisioning_domains')
      .where({ tenant_ref: tenantRef, domain })
      .first();
  }

  /** Checks one domain now and stores the outcome. */
  private async check(
    row: DomainRow,
    zone: DnsRecord[] | undefined,
  ): Promise<TenantDomain> {
    const expected = expectedRecords({
      domain: row.domain,
      token: row.token,
      dmarc: this.settingOf(row),
      ...(zone ? { zone } : {}),
    });
    const answers = new Map<string, LookupResult>();
    await Promise.all(
      lookupsOf(expected).map(async l => {
        answers.set(
          `${l.type} ${l.name}`,
          await this.deps.resolver.lookup(l.type, l.name),
        );
      }),
    );
    const records = expected.map(e =>
      compareRecord(e, answers.get(`${e.type} ${e.name}`)),
    );
    const verified = records.every(r => r.status === 'ok');
    const nowMs = this.now();
    const now = new Date(nowMs).toISOString();
    const next = new Date(
      nextCheckAt(
        `${row.tenant_ref}\n${row.domain}`,
        nowMs,
        verified ? this.verifiedMs : this.unverifiedMs,
      ),
    ).toISOString();
    const verifiedAt = row.verified_at ?? (verified ? now : null);
    await this.deps
      .knex('provisioning_domains')
      .where({ tenant_ref: row.tenant_ref, domain: row.domain })
      .update({
        records: JSON.stringify(records),
        verified,
        verified_at: verifiedAt,
        last_checked_at: now,
        next_check_at: next,
      });
    return {
      domain: row.domain,
      records,
      verified,
      ...(verifiedAt ? { verifiedAt } : {}),
      lastCheckedAt: now,
      nextCheckAt: next,
      dmarc: this.settingOf(row),
    };
  }

  /** Checks a tenant's domain now; undefined when it is not one of its domains. */
  async recheck(
    tenant: { tenantRef: string; partnerRef?: string; name: string },
    domain: string,
    by: { credentials: BackstageCredentials; ip?: string },
  ): Promise<TenantDomain | undefined> {
    const row = await this.row(tenant.tenantRef, domain);
    if (!row) return undefined;
    const zones = await this.zones([tenant.tenantRef]);
    const result = await this.check(
      row,
      zones.get(`${tenant.tenantRef}\n${domain}`),
    );
    await this.audit(tenant, domain, by, 'provisioning.domain.rechecked', {
      verified: result.verified,
      notOk: result.records
        .filter(r => r.status !== 'ok')
        .map(r => `${r.kind} ${r.name}: ${r.status}`),
    });
    return result;
  }

  /**
   * Sets a domain's DMARC policy (the expected `_dmarc` record changes)
   * and checks the domain again; undefined when it is not one of the
   * tenant's domains.
   */
  async setDmarc(
    tenant: { tenantRef: string; partnerRef?: string; name: string },
    domain: string,
    setting: DmarcSetting,
    by: { credentials: BackstageCredentials; ip?: string },
  ): Promise<TenantDomain | undefined> {
    const row = await this.row(tenant.tenantRef, domain);
    if (!row) return undefined;
    const before = this.settingOf(row);
    await this.deps
      .knex('provisioning_domains')
      .where({ tenant_ref: tenant.tenantRef, domain })
      .update({ dmarc_policy: setting.policy, dmarc_rua: setting.rua ?? null });
    await this.audit(tenant, domain, by, 'provisioning.domain.dmarc.updated', {
      before,
      after: setting,
    });
    const zones = await this.zones([tenant.tenantRef]);
    return this.check(
      { ...row, dmarc_policy: setting.policy, dmarc_rua: setting.rua ?? null },
      zones.get(`${tenant.tenantRef}\n${domain}`),
    );
  }

  /**
   * The scheduled recheck: brings the rows in line with spec.domains, then
   * checks every domain whose next check is due, in batches of
   * `batchSize`, `concurrency` at once, until none is due or `budgetMs`
   * has passed (the rest wait for the next run).
   */
  async recheckDue(
    budgetMs = 50_000,
  ): Promise<{ checked: number; verified: number }> {
    await this.sync();
    const started = this.now();
    let checked = 0;
    let verified = 0;
    while (this.now() - started < budgetMs) {
      const now = new Date(this.now()).toISOString();
      const rows = await this.deps
        .knex<DomainRow>('provisioning_domains')
        .where('next_check_at', '<=', now)
        .orderBy('next_check_at')
        .limit(this.batchSize);
      if (rows.length === 0) break;
      const zones = await this.zones(rows.map(r => r.tenant_ref));
      const results: TenantDomain[] = [];
      await eachLimit(rows, this.concurrency, async row => {
        results.push(
          await this.check(row, zones.get(`${row.tenant_ref}\n${row.domain}`)),
        );
      });
      checked += results.length;
      verified += results.filter(r => r.verified).length;
    }
    return { checked, verified };
  }

  private async audit(
    tenant: { tenantRef: string; partnerRef?: string; name: string },
    domain: string,
    by: { credentials: BackstageCredentials; ip?: string },
    action: string,
    metadata: Record<string, unknown>,
  ) {
    await this.deps.trail.record([
      {
        at: new Date(this.now()).toISOString(),
        actor: auditActorOf(by.credentials, by.ip),
        action,
        outcome: 'success',
        resource: { type: 'domain', ref: domain, name: domain },
        tenant: tenant.tenantRef,
        ...(tenant.partnerRef ? { partner: tenant.partnerRef } : {}),
        source: 'portal',
        metadata: { tenantName: tenant.name, ...metadata },
      },
    ]);
  }
}
