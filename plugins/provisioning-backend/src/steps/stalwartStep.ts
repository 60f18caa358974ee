import {
  parseZoneFile,
  StalwartApi,
  StalwartDomainZone,
} from '../clients/StalwartClient';
import { ownerMarker } from '../engine/desired';
import { Change, Drift, StepDriver, StepResult, StepWork } from './types';

const KEY = 'domain:';

/** How soon a domain whose DKIM keys are not there yet is read again (ms). */
export const DKIM_RECHECK_MS = 1_000;

/** The stored domain ids, by domain name. */
function storedIds(work: Pick<StepWork, 'condition'>): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [key, id] of Object.entries(work.condition?.external ?? {})) {
    if (key.startsWith(KEY)) ids.set(key.slice(KEY.length), id);
  }
  return ids;
}

const hasDkim = (d: StalwartDomainZone) =>
  d.dkimSignatures > 0 && /\._domainkey\./i.test(d.dnsZoneFile);

/**
 * Stalwart: one `x:Domain` per entry of `spec.domains`, with automatic DKIM.
 * Stalwart generates the DKIM keys in a background task after the domain is
 * created, so a new domain's zone file lacks them at first: the step stays
 * `pending` (AwaitingDkim) and reads again until every domain has its keys,
 * then stores the records each zone file asks to publish. A domain removed
 * from `spec.domains` is left in Stalwart (its mail would go with it) and
 * shown under `observed.notInSpec`.
 */
export class StalwartStep implements StepDriver {
  readonly step = 'stalwart' as const;

  constructor(private readonly api: StalwartApi) {}

  async converge(work: StepWork): Promise<StepResult> {
    const wanted = (work.desired.domains as string[]) ?? [];
    const known = storedIds(work);
    const changes: Change[] = [];

    const read = await this.api.readDomains(
      wanted.filter(d => known.has(d)).map(d => known.get(d)!),
    );
    const found = new Map<string, StalwartDomainZone>();
    for (const d of read) {
      if (wanted.includes(d.name) && known.get(d.name) === d.id) {
        found.set(d.name, d);
      }
    }
    const missing = wanted.filter(d => !found.has(d));
    const ids = new Map<string, string>();
    for (const d of found.values()) ids.set(d.name, d.id);
    if (missing.length > 0) {
      await work.beforeCreate();
      const created = await this.api.createDomains(
        missing.map(name => ({ name, description: ownerMarker(work.tenant) })),
      );
      for (const c of created) {
        ids.set(c.name, c.id);
        changes.push({
          verb: c.existed ? 'adopted' : 'created',
          object: 'domain',
          id: c.id,
          name: c.name,
          ...(known.has(c.name) && !c.existed
            ? { detail: 'it no longer existed' }
            : {}),
        });
      }
    }

    const external: Record<string, string> = {};
    for (const [name, id] of ids) external[`${KEY}${name}`] = id;
    const waiting = [
      ...missing,
      ...[...found.values()].filter(d => !hasDkim(d)).map(d => d.name),
    ].sort();
    const notInSpec = [...known.keys()].filter(d => !wanted.includes(d));
    const observed = {
      domains: [...ids.keys()].sort(),
      dkim: Object.fromEntries(
        [...found.values()].map(d => [d.name, d.dkimSignatures]),
      ),
      ...(notInSpec.length ? { notInSpec } : {}),
    };
    const dnsRecords = [...found.values()]
      .filter(hasDkim)
      .map(d => ({
        domain: d.name,
        records: parseZoneFile(d.dnsZoneFile),
        zoneFile: d.dnsZoneFile,
      }))
      .sort((a, b) => (a.domain < b.domain ? -1 : 1));
    if (waiting.length > 0) {
      return {
        status: 'pending',
        reason: 'AwaitingDkim',
        message: `waiting for Stalwart to generate the DKIM keys of ${waiting.join(
          ', ',
        )}`,
        recheckMs: DKIM_RECHECK_MS,
        external,
        observed,
        changes,
        dnsRecords,
      };
    }
    return { status: 'ok', external, observed, changes, dnsRecords };
  }

  async drift(converged: Parameters<StepDriver['drift']>[0]): Promise<Drift[]> {
    const byId = new Map((await this.api.listDomains()).map(d => [d.id, d]));
    const out: Drift[] = [];
    for (const { tenant, condition } of converged) {
      const problems: string[] = [];
      const ids = storedIds({ condition });
      for (const domain of tenant.domains) {
        const id = ids.get(domain);
        const found = id ? byId.get(id) : undefined;
        if (!found) {
          problems.push(`domain ${domain} (${id ?? 'no id'}) no longer exists`);
        } else if (found.name !== domain) {
          problems.push(`domain ${domain} (${id}) is now named ${found.name}`);
        }
      }
      if (problems.length) {
        out.push({ tenantRef: tenant.tenantRef, message: problems.join('; ') });
      }
    }
    return out;
  }
}
