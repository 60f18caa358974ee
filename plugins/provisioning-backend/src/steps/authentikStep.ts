import { AuthentikApi, AuthentikGroup } from '../clients/AuthentikClient';
import { SystemError } from '../clients/SystemHttp';
import { Change, StepDriver, StepResult, StepWork } from './types';

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
    return {
      status: 'ok',
      external: { groupId: group.pk },
      observed: observe(group),
      changes,
    };
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
