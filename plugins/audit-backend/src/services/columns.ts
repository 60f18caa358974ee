import { AuditEventInput } from '@internal/plugin-audit-common';
import { createHash } from 'node:crypto';

/** The width of the `action` column. */
const MAX_ACTION_LENGTH = 200;

/** A string cut to `max` characters (an ellipsis marks the cut). */
function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max - 1);
  // do not leave half of a surrogate pair
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}\u2026`;
}

/**
 * The event with its values cut to the widths of the store's columns
 * (PostgreSQL refuses longer ones); each cut value is kept whole in
 * `metadata.truncated`, so nothing is lost. An externalId longer than its
 * column is replaced by its SHA-256, so that it stays unique.
 */
export function fitColumns(input: AuditEventInput): AuditEventInput {
  const truncated: Record<string, string> = {};
  const fitField = (name: string, value: string, max: number) => {
    const cut = clip(value, max);
    if (cut !== value) truncated[name] = value;
    return cut;
  };
  const fit = (value: string | undefined, max: number, name = '') =>
    value === undefined ? undefined : fitField(name, value, max);
  const clipField = (value: string, max: number, name: string) =>
    fitField(name, value, max);
  const out: AuditEventInput = {
    ...input,
    action: clipField(input.action, MAX_ACTION_LENGTH, 'action'),
    actor: { ...input.actor },
  };
  if (input.actor.ref !== undefined)
    out.actor.ref = fit(input.actor.ref, 255, 'actor.ref');
  if (input.actor.email !== undefined) {
    out.actor.email = fit(input.actor.email, 255, 'actor.email');
  }
  if (input.actor.ip !== undefined)
    out.actor.ip = fit(input.actor.ip, 64, 'actor.ip');
  if (input.resource) {
    out.resource = {
      ...input.resource,
      type: clipField(input.resource.type, 100, 'resource.type'),
    };
    if (input.resource.ref !== undefined) {
      out.resource.ref = fit(input.resource.ref, 255, 'resource.ref');
    }
    if (input.resource.name !== undefined) {
      out.resource.name = fit(input.resource.name, 255, 'resource.name');
    }
  }
  if (input.externalId !== undefined && input.externalId.length > 255) {
    out.externalId = createHash('sha256')
      .update(input.externalId)
      .digest('hex');
  }
  if (input.tenant !== undefined) out.tenant = fit(input.tenant, 255, 'tenant');
  if (input.partner !== undefined) {
    out.partner = fit(input.partner, 255, 'partner');
  }
  out.source = clipField(input.source, 50, 'source');
  if (Object.keys(truncated).length) {
    out.metadata = { ...input.metadata, truncated };
  }
  return out;
}
