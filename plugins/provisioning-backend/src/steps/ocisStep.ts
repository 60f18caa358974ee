import { OcisApi, OcisDrive } from '../clients/OcisClient';
import { ownerMarker } from '../engine/desired';
import {
  Change,
  Drift,
  StepDriver,
  StepResult,
  StepWork,
  TeardownWork,
} from './types';

/** A list of every project space is reused by the tenants worked within this long (ms). */
export const SPACE_LIST_MAX_AGE_MS = 30_000;

const observe = (d: OcisDrive) => ({
  space: d.name,
  id: d.id,
  disabled: d.disabled,
});

/**
 * OCIS: one project space per tenant, named after the tenant (space names
 * may not contain dots, tenant names do not). Found by its stored id; else
 * by name in a list of every project space — OCIS filters lists only on
 * `driveType` and `id` and does not page, so one list is shared by the
 * tenants worked within {@link SPACE_LIST_MAX_AGE_MS}, unless a create for
 * the tenant was started after it was taken (an instance that died between
 * creating a space and storing its id), which takes a fresh one. OCIS does
 * not refuse a second space of the same name: this lookup is what keeps
 * one per tenant. A renamed space is renamed back; a disabled one is
 * re-enabled — unless the tenant is suspended: then the space is disabled
 * (OCIS keeps its data), and Resume enables it again.
 */
export class OcisStep implements StepDriver {
  readonly step = 'ocis' as const;
  private list?: { at: number; drives: Promise<OcisDrive[]> };

  constructor(
    private readonly api: OcisApi,
    private readonly now: () => number = Date.now,
  ) {}

  async converge(work: StepWork): Promise<StepResult> {
    const name = work.tenant.name;
    const changes: Change[] = [];
    const storedId = work.condition?.external?.spaceId;
    let drive = storedId ? await this.api.getDrive(storedId) : undefined;
    if (!drive) {
      const createStarted = work.condition?.createStartedAt
        ? Date.parse(work.condition.createStartedAt)
        : undefined;
      // a stored id that vanished: a list taken from now on; a create that
      // may have happened: a list taken after it started
      const drives = await this.drives(storedId ? this.now() : createStarted);
      const named = drives.filter(d => d.name === name);
      drive =
        named.find(d => d.description === ownerMarker(work.tenant)) ?? named[0];
      if (drive) {
        changes.push({ verb: 'adopted', object: 'space', id: drive.id, name });
      }
    }
    if (!drive) {
      await work.beforeCreate();
      drive = await this.api.createDrive(name, ownerMarker(work.tenant));
      this.remember(drive);
      changes.push({
        verb: 'created',
        object: 'space',
        id: drive.id,
        name,
        ...(storedId ? { detail: `space ${storedId} no longer existed` } : {}),
      });
    }
    const suspended = work.desired.suspended === true;
    if (drive.disabled && !suspended) {
      const wasHeld = work.condition?.observed?.suspended === true;
      drive = await this.api.restoreDrive(drive.id);
      changes.push({
        verb: 'restored',
        object: 'space',
        id: drive.id,
        name,
        detail: wasHeld
          ? 'the tenant was resumed'
          : 'it had been disabled outside the portal',
      });
    }
    if (drive.name !== name) {
      const from = drive.name;
      drive = await this.api.renameDrive(drive.id, name);
      changes.push({
        verb: 'updated',
        object: 'space',
        id: drive.id,
        name,
        detail: `renamed from ${from}`,
      });
    }
    if (suspended && !drive.disabled) {
      await this.api.disableDrive(drive.id);
      drive = { ...drive, disabled: true };
      changes.push({
        verb: 'disabled',
        object: 'space',
        id: drive.id,
        name,
        detail: 'the tenant is suspended (data kept)',
      });
    }
    return {
      status: 'ok',
      external: { spaceId: drive.id },
      observed: { ...observe(drive), suspended },
      changes,
    };
  }

  /** OCIS members are not managed by provisioning yet: nothing to remove. */
  async teardownMembers() {}

  /** Disables the space if it is not, then purges it (its data goes with it). */
  async teardownResources(work: TeardownWork) {
    const id = work.condition?.external?.spaceId;
    const drive = id ? await this.api.getDrive(id) : undefined;
    if (!drive) return;
    if (!drive.disabled) await this.api.disableDrive(drive.id);
    await this.api.purgeDrive(drive.id);
    work.changes.push({
      verb: 'deleted',
      object: 'space',
      id: drive.id,
      name: drive.name,
    });
  }

  async drift(converged: Parameters<StepDriver['drift']>[0]): Promise<Drift[]> {
    const byId = new Map((await this.drives(this.now())).map(d => [d.id, d]));
    const out: Drift[] = [];
    for (const { tenant, condition } of converged) {
      const id = condition.external?.spaceId;
      const drive = id ? byId.get(id) : undefined;
      let message: string | undefined;
      if (!drive)
        message = `space ${tenant.name} (${id ?? 'no id'}) no longer exists`;
      else if (drive.name !== tenant.name)
        message = `space ${tenant.name} (${id}) was renamed to ${drive.name}`;
      else if (drive.disabled && condition.observed?.suspended !== true)
        message = `space ${tenant.name} (${id}) was disabled outside the portal`;
      else if (!drive.disabled && condition.observed?.suspended === true)
        message = `space ${tenant.name} (${id}) was enabled outside the portal while the tenant is suspended`;
      if (message) out.push({ tenantRef: tenant.tenantRef, message });
    }
    return out;
  }

  /**
   * Every project space: the shared list if it is younger than
   * SPACE_LIST_MAX_AGE_MS and was taken after `takenAfter`, else a new one
   * (concurrent callers share it).
   */
  private drives(takenAfter?: number): Promise<OcisDrive[]> {
    const now = this.now();
    const current = this.list;
    if (
      current &&
      now - current.at < SPACE_LIST_MAX_AGE_MS &&
      (takenAfter === undefined || current.at >= takenAfter)
    ) {
      return current.drives;
    }
    const list = { at: now, drives: this.api.listProjectDrives() };
    this.list = list;
    list.drives.catch(() => {
      if (this.list === list) this.list = undefined;
    });
    return list.drives;
  }

  /** A space created here joins the shared list. */
  private remember(drive: OcisDrive) {
    const current = this.list;
    if (!current) return;
    current.drives = current.drives.then(list => [...list, drive]);
  }
}
