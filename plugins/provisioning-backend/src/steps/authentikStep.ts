import {
  AuthentikApi,
  AuthentikGroup,
  AuthentikUser,
} from '../clients/AuthentikClient';
import { SystemError } from '../clients/SystemHttp';
import {
  Change,
  StepDriver,
  StepResult,
  StepWork,
  TeardownWork,
} from './types';

/** The attribute that ties a group to its tenant. */
const TENANT_ATTRIBUTE = 'dezkyTenant';

const observe = (g: AuthentikGroup) => ({
  group: g.name,
  attributes: { [TENANT_ATTRIBUTE]: g.attributes[TENANT_ATTRIBUTE] ?? null },
});

/**
 * Authentik: one group per tenant, named after the tenant, with the
 * attribute `dezkyTenant: <tenant ref>`. Found by its stored id, else looked
 * up by name, and created only if missing; a renamed group is renamed back,
 * a missing attribute is set (other attributes kept: PATCH replaces the
 * whole `attributes` object, so the merged object is sent).
 *
 * Suspended: every user of the group made inactive and their sessions
 * ended — except a person who is also in an active tenant's group (they
 * keep signing in there; the suspended tenant's mail and files are held
 * anyway). Each user is recorded before it is made inactive; Resume makes
 * active again exactly the recorded ones (never a user an administrator
 * deactivated), passwords untouched.
 */
export class AuthentikStep implements StepDriver {
  readonly step = 'authentik' as const;

  constructor(private readonly api: AuthentikApi) {}

  async converge(work: StepWork): Promise<StepResult> {
    const name = work.tenant.name;
    const ref = work.tenant.tenantRef;
    const changes: Change[] = [];
    const storedId = work.condition?.external?.groupId;

    let group = storedId ? await this.api.getGroup(storedId) : undefined;
    if (!group) group = await this.api.findGroupByName(name);
    if (group && !this.ours(group, ref) && group.name === name) {
      throw new SystemError(
        'authentik',
        `adopt group ${name}`,
        `a group of that name belongs to ${String(
          group.attributes[TENANT_ATTRIBUTE],
        )}`,
      );
    }
    if (!group) {
      await work.beforeCreate();
      const created = await this.api.createGroup(name, {
        [TENANT_ATTRIBUTE]: ref,
      });
      if (created) {
        changes.push({
          verb: 'created',
          object: 'group',
          id: created.pk,
          name,
        });
        group = created;
      } else {
        // created meanwhile (names are unique): take it if it is ours
        group = await this.api.findGroupByName(name);
        if (!group || !this.ours(group, ref)) {
          throw new SystemError(
            'authentik',
            `create group ${name}`,
            'the name is taken by a group of another tenant',
          );
        }
        changes.push({ verb: 'adopted', object: 'group', id: group.pk, name });
      }
    }

    const fixes: string[] = [];
    const patch: { name?: string; attributes?: Record<string, unknown> } = {};
    if (group.name !== name) {
      patch.name = name;
      fixes.push(`renamed from ${group.name}`);
    }
    if (group.attributes[TENANT_ATTRIBUTE] !== ref) {
      patch.attributes = { ...group.attributes, [TENANT_ATTRIBUTE]: ref };
      fixes.push(`attributes.${TENANT_ATTRIBUTE} set`);
    }
    if (fixes.length > 0) {
      group = await this.api.updateGroup(group.pk, patch);
      changes.push({
        verb: 'updated',
        object: 'group',
        id: group.pk,
        name,
        detail: fixes.join(', '),
      });
    }
    const suspended = work.desired.suspended === true;
    const held = suspended
      ? await this.suspendUsers(work, group.pk, changes)
      : await this.resumeUsers(work, group.pk, changes);
    return {
      status: 'ok',
      external: { groupId: group.pk },
      observed: { ...observe(group), ...held },
      changes,
    };
  }

  /** Makes the group's users inactive (recorded first) and ends their sessions. */
  private async suspendUsers(
    work: StepWork,
    groupPk: string,
    changes: Change[],
  ) {
    const users = await this.api.groupUsers(groupPk);
    const active = await work.ledger.otherTenantGroups({ activeOnly: true });
    const recorded = await work.ledger.frozen(users.map(u => String(u.pk)));
    const keptActive: string[] = [];
    const hold: AuthentikUser[] = [];
    for (const u of users) {
      if (u.groups.some(g => g !== groupPk && active.has(g))) {
        keptActive.push(u.username);
      } else if (u.isActive) {
        hold.push(u);
      }
    }
    await work.ledger.record(
      hold.map(u => ({
        objectId: String(u.pk),
        objectName: u.username,
        previous: { isActive: true },
      })),
    );
    for (const u of hold) {
      await this.api.setUserActive(u.pk, false);
      changes.push({
        verb: 'deactivated',
        object: 'user',
        id: String(u.pk),
        name: u.username,
      });
    }
    // sessions of every user held by the suspension (now or before)
    for (const u of users) {
      if (!hold.includes(u) && !recorded.has(String(u.pk))) continue;
      for (const session of await this.api.userSessions(u)) {
        await this.api.endSession(session);
        changes.push({
          verb: 'ended',
          object: 'session',
          id: session,
          name: u.username,
        });
      }
    }
    return {
      suspended: true,
      users: users.length,
      inactiveUsers: users.length - keptActive.length,
      ...(keptActive.length ? { keptActive } : {}),
    };
  }

  /** Makes active again the group's users a suspension made inactive. */
  private async resumeUsers(
    work: StepWork,
    groupPk: string,
    changes: Change[],
  ) {
    const wasHeld = work.condition?.observed?.suspended === true;
    if (!wasHeld && !(await work.ledger.hasFrozen())) {
      return { suspended: false };
    }
    const users = await this.api.groupUsers(groupPk);
    const recorded = await work.ledger.frozen(users.map(u => String(u.pk)));
    const back = users.filter(u => recorded.has(String(u.pk)));
    for (const u of back) {
      if (!u.isActive) {
        await this.api.setUserActive(u.pk, true);
        changes.push({
          verb: 'activated',
          object: 'user',
          id: String(u.pk),
          name: u.username,
        });
      }
    }
    await work.ledger.forget(back.map(u => String(u.pk)));
    return { suspended: false };
  }

  /** Deletes the group's users, except people another tenant still has (only taken out of the group). */
  async teardownMembers(work: TeardownWork) {
    const group = await this.ownGroup(work);
    if (!group) return;
    const others = await work.ledger.otherTenantGroups({ activeOnly: false });
    for (const u of await this.api.groupUsers(group.pk)) {
      if (u.groups.some(g => g !== group.pk && others.has(g))) {
        await this.api.removeFromGroup(group.pk, u.pk);
        work.changes.push({
          verb: 'removed',
          object: 'user',
          id: String(u.pk),
          name: u.username,
          detail: `kept: still in another tenant; taken out of group ${group.name}`,
        });
        continue;
      }
      await this.api.deleteUser(u.pk);
      await work.ledger.forget([String(u.pk)]);
      work.changes.push({
        verb: 'deleted',
        object: 'user',
        id: String(u.pk),
        name: u.username,
      });
    }
  }

  async teardownResources(work: TeardownWork) {
    const group = await this.ownGroup(work);
    if (!group) return;
    await this.api.deleteGroup(group.pk);
    work.changes.push({
      verb: 'deleted',
      object: 'group',
      id: group.pk,
      name: group.name,
    });
  }

  /**
   * The tenant's group: by its stored id, else by name when its attribute
   * names the tenant (a teardown never takes a group that only shares the
   * name).
   */
  private async ownGroup(work: TeardownWork) {
    const id = work.condition?.external?.groupId;
    const byId = id ? await this.api.getGroup(id) : undefined;
    if (byId) return this.ours(byId, work.tenant.tenantRef) ? byId : undefined;
    const byName = await this.api.findGroupByName(work.tenant.name);
    return byName?.attributes[TENANT_ATTRIBUTE] === work.tenant.tenantRef
      ? byName
      : undefined;
  }

  async drift(
    converged: Parameters<StepDriver['drift']>[0],
  ): Promise<Awaited<ReturnType<StepDriver['drift']>>> {
    const groups = new Map((await this.api.listGroups()).map(g => [g.pk, g]));
    const out = [];
    for (const { tenant, condition } of converged) {
      const id = condition.external?.groupId;
      const group = id ? groups.get(id) : undefined;
      if (!group) {
        out.push({
          tenantRef: tenant.tenantRef,
          message: `group ${tenant.name} (${id ?? 'no id'}) no longer exists`,
        });
      } else if (group.name !== tenant.name) {
        out.push({
          tenantRef: tenant.tenantRef,
          message: `group ${tenant.name} (${id}) was renamed to ${group.name}`,
        });
      } else if (group.attributes[TENANT_ATTRIBUTE] !== tenant.tenantRef) {
        out.push({
          tenantRef: tenant.tenantRef,
          message: `group ${tenant.name} (${id}) lost attributes.${TENANT_ATTRIBUTE}`,
        });
      }
    }
    return out;
  }

  /** A group is the tenant's if its attribute names the tenant, or names none. */
  private ours(group: AuthentikGroup, ref: string) {
    const owner = group.attributes[TENANT_ATTRIBUTE];
    return owner === undefined || owner === null || owner === ref;
  }
}
