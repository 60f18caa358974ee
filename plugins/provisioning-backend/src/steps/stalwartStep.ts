import {
  parseZoneFile,
  StalwartAccount,
  StalwartApi,
  StalwartDomainZone,
} from '../clients/StalwartClient';
import { ownerMarker } from '../engine/desired';
import {
  Change,
  Drift,
  StepDriver,
  StepResult,
  StepWork,
  TeardownWork,
} from './types';

const KEY = 'domain:';

/** How soon a domain whose DKIM keys are not there yet is read again (ms). */
export const DKIM_RECHECK_MS = 1_000;
/** How soon a domain removed from spec.domains but still in use is tried again (ms). */
export const IN_USE_RECHECK_MS = 300_000;

/** The stored domain ids, by domain name. */
function storedIds(work: Pick<StepWork, 'condition'>): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [key, id] of Object.entries(work.condition?.external ?? {})) {
    if (key.startsWith(KEY)) ids.set(key.slice(KEY.length), id);
  }
  return ids;
}

/** The permissions a frozen mailbox gets: no sign-in, no sending (mail still arrives). */
const FROZEN = ['authenticate', 'emailSend'];

type PermissionSet = Record<string, boolean>;

/** Whether an account cannot sign in (its `authenticate` permission is withdrawn). */
const isFrozen = (p: Record<string, unknown>) =>
  (p.disabledPermissions as PermissionSet | undefined)?.authenticate === true;

/**
 * The permissions of a frozen account: those it had, with `authenticate`
 * and `emailSend` withdrawn (Stalwart has no "disabled" flag; a disabled
 * permission overrides the role's).
 */
export function frozenPermissions(
  p: Record<string, unknown>,
): Record<string, unknown> {
  const enabled = { ...((p.enabledPermissions as PermissionSet) ?? {}) };
  for (const k of FROZEN) delete enabled[k];
  return {
    '@type': p['@type'] === 'Replace' ? 'Replace' : 'Merge',
    enabledPermissions: enabled,
    disabledPermissions: {
      ...((p.disabledPermissions as PermissionSet) ?? {}),
      ...Object.fromEntries(FROZEN.map(k => [k, true])),
    },
  };
}

const address = (a: StalwartAccount, domains: Map<string, string>) =>
  `${a.name}@${domains.get(a.domainId) ?? a.domainId}`;

const hasDkim = (d: StalwartDomainZone) =>
  d.dkimSignatures > 0 && /\._domainkey\./i.test(d.dnsZoneFile);

/**
 * Stalwart: one `x:Domain` per entry of `spec.domains`, with automatic DKIM.
 * Stalwart generates the DKIM keys in a background task after the domain is
 * created, so a new domain's zone file lacks them at first: the step stays
 * `pending` (AwaitingDkim) and reads again until every domain has its keys,
 * then stores the records each zone file asks to publish. A domain removed
 * from `spec.domains` is removed from Stalwart only when no account, alias
 * or mailing list uses it; otherwise nothing is removed, the step stays
 * `pending` (`DomainInUse`) naming what holds it, and the domain is shown
 * under `observed.notInSpec` until it is free.
 *
 * Suspended: every user account on the tenant's domains frozen — its
 * `authenticate` and `emailSend` permissions withdrawn, its password and
 * mail kept; the permissions before are recorded first and written back
 * on Resume.
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

    const removed = [...known].filter(([name]) => !wanted.includes(name));
    const inUse = await this.remove(
      removed,
      new Map([...known, ...ids]),
      changes,
    );
    const external: Record<string, string> = {};
    for (const [name, id] of ids) external[`${KEY}${name}`] = id;
    // a domain still in use stays known, to be removed once it is free
    for (const u of inUse) external[`${KEY}${u.name}`] = u.id;
    const waiting = [
      ...missing,
      ...[...found.values()].filter(d => !hasDkim(d)).map(d => d.name),
    ].sort();
    const notInSpec = inUse.map(u => u.name).sort();
    const inUseMessage = inUse
      .map(
        u =>
          `${
            u.name
          } is not removed from Stalwart: still used by ${u.holders.join(
            ', ',
          )}`,
      )
      .join('; ');
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
    const suspended = work.desired.suspended === true;
    const held = suspended
      ? await this.freeze(work, ids, changes)
      : await this.unfreeze(work, ids, changes);
    Object.assign(observed, held);
    if (waiting.length > 0) {
      return {
        status: 'pending',
        reason: 'AwaitingDkim',
        message: `waiting for Stalwart to generate the DKIM keys of ${waiting.join(
          ', ',
        )}${inUseMessage ? `; ${inUseMessage}` : ''}`,
        recheckMs: DKIM_RECHECK_MS,
        external,
        observed,
        changes,
        dnsRecords,
      };
    }
    if (inUse.length > 0) {
      return {
        status: 'pending',
        reason: 'DomainInUse',
        message: inUseMessage,
        recheckMs: IN_USE_RECHECK_MS,
        external,
        observed,
        changes,
        dnsRecords,
      };
    }
    return { status: 'ok', external, observed, changes, dnsRecords };
  }

  /**
   * Removes from Stalwart the domains gone from spec.domains, each only when
   * nothing but its DKIM keys uses it: Stalwart is asked to destroy it and
   * answers what links to it (accounts and mailing lists by their domain
   * or an alias, DKIM keys). Held by DKIM keys only: they are destroyed,
   * then the domain. Held by anything else: nothing is destroyed and the
   * holders are named. Answers the domains still in use.
   */
  private async remove(
    removed: Array<[string, string]>,
    names: Map<string, string>,
    changes: Change[],
  ): Promise<Array<{ name: string; id: string; holders: string[] }>> {
    const domainNames = new Map([...names].map(([name, id]) => [id, name]));
    const inUse: Array<{ name: string; id: string; holders: string[] }> = [];
    for (const [name, id] of removed) {
      let { linked } = await this.api.destroyDomain(id);
      const keys = linked.filter(l => l.object === 'DkimSignature');
      if (linked.length > 0 && keys.length === linked.length) {
        await this.api.destroy(
          'DkimSignature',
          keys.map(k => k.id),
        );
        for (const k of keys) {
          changes.push({ verb: 'deleted', object: 'dkim-key', id: k.id, name });
        }
        ({ linked } = await this.api.destroyDomain(id));
      }
      if (linked.length === 0) {
        changes.push({
          verb: 'deleted',
          object: 'domain',
          id,
          name,
          detail: 'removed from spec.domains',
        });
        continue;
      }
      const holders: string[] = [];
      for (const type of ['Account', 'MailingList'] as const) {
        const ids = linked.filter(l => l.object === type).map(l => l.id);
        if (ids.length === 0) continue;
        const label = type === 'Account' ? 'account' : 'mailing list';
        for (const o of await this.api.readNames(type, ids)) {
          const at = `${o.name}@${domainNames.get(o.domainId) ?? o.domainId}`;
          holders.push(
            o.domainId === id
              ? `${label} ${at}`
              : `${label} ${at} (an alias on ${name})`,
          );
        }
      }
      for (const l of linked) {
        if (!['Account', 'MailingList', 'DkimSignature'].includes(l.object)) {
          holders.push(`${l.object} ${l.id}`);
        }
      }
      if (holders.length === 0) holders.push('objects that were just removed');
      inUse.push({ name, id, holders: holders.sort() });
    }
    return inUse;
  }

  /** Freezes the user accounts of the tenant's domains (recording what they had). */
  private async freeze(
    work: StepWork,
    ids: Map<string, string>,
    changes: Change[],
  ) {
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const accounts = (await this.api.domainAccounts([...ids.values()])).filter(
      a => a.type === 'User',
    );
    const recorded = await work.ledger.frozen(accounts.map(a => a.id));
    const freeze = accounts.filter(
      a => !recorded.has(a.id) && !isFrozen(a.permissions),
    );
    await work.ledger.record(
      freeze.map(a => ({
        objectId: a.id,
        objectName: address(a, names),
        previous: a.permissions,
      })),
    );
    await this.api.setPermissions(
      freeze.map(a => ({
        id: a.id,
        permissions: frozenPermissions(a.permissions),
      })),
    );
    for (const a of freeze) {
      changes.push({
        verb: 'frozen',
        object: 'mailbox',
        id: a.id,
        name: address(a, names),
      });
    }
    return { suspended: true, frozenMailboxes: accounts.length };
  }

  /** Writes back the permissions a suspension recorded. */
  private async unfreeze(
    work: StepWork,
    ids: Map<string, string>,
    changes: Change[],
  ) {
    const wasHeld = work.condition?.observed?.suspended === true;
    if (!wasHeld && !(await work.ledger.hasFrozen())) {
      return { suspended: false };
    }
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const accounts = await this.api.domainAccounts([...ids.values()]);
    const recorded = await work.ledger.frozen(accounts.map(a => a.id));
    const back = accounts.filter(a => recorded.has(a.id));
    await this.api.setPermissions(
      back.map(a => ({
        id: a.id,
        permissions: recorded.get(a.id)!.previous as Record<string, unknown>,
      })),
    );
    await work.ledger.forget(back.map(a => a.id));
    for (const a of back) {
      changes.push({
        verb: 'unfrozen',
        object: 'mailbox',
        id: a.id,
        name: address(a, names),
      });
    }
    return { suspended: false };
  }

  /** Destroys the accounts and mailing lists on the tenant's domains (their mail goes with them). */
  async teardownMembers(work: TeardownWork) {
    const ids = storedIds(work);
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const domainIds = [...ids.values()];
    if (domainIds.length === 0) return;
    for (const a of await this.api.domainAccounts(domainIds)) {
      await this.api.destroy('Account', [a.id]);
      await work.ledger.forget([a.id]);
      work.changes.push({
        verb: 'deleted',
        object: 'mailbox',
        id: a.id,
        name: address(a, names),
      });
    }
    const { MailingList } = await this.api.domainObjects(domainIds);
    for (const id of MailingList) {
      await this.api.destroy('MailingList', [id]);
      work.changes.push({
        verb: 'deleted',
        object: 'mailing-list',
        id,
        name: id,
      });
    }
  }

  /**
   * Destroys the tenant's domains, each after its DKIM keys (Stalwart
   * refuses a domain something still points at; what holds it is named).
   */
  async teardownResources(work: TeardownWork) {
    const stored = storedIds(work);
    const existing = new Set(
      (await this.api.readDomains([...stored.values()])).map(d => d.id),
    );
    for (const [name, id] of stored) {
      if (!existing.has(id)) continue;
      const { DkimSignature } = await this.api.domainObjects([id]);
      if (DkimSignature.length > 0) {
        await this.api.destroy('DkimSignature', DkimSignature);
        for (const key of DkimSignature) {
          work.changes.push({
            verb: 'deleted',
            object: 'dkim-key',
            id: key,
            name,
          });
        }
      }
      await this.api.destroy('Domain', [id]);
      work.changes.push({ verb: 'deleted', object: 'domain', id, name });
    }
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
