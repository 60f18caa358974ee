import { AuditEventInput } from '@internal/plugin-audit-common';

const ACTIONS = [
  'tenant.updated',
  'tenant.suspended',
  'user.signed-in',
  'mailbox.created',
  'share.created',
  'subscription.renewed',
];
const SOURCES = ['portal', 'authentik', 'stalwart', 'ocis', 'stripe'];

/**
 * A realistic, deterministic audit event, the `i`th of `instance`: a user,
 * service or system actor, usually a resource, tenant and partner, and a
 * small `{ field: { from, to } }` diff. Used by twoInstances.test.ts, the
 * append worker and scripts/bench/audit; no `externalId`, so nothing is
 * deduplicated.
 */
export function sampleEvent(i: number, instance = 'a'): AuditEventInput {
  const tenant = `tenant:default/t${String(i % 10_000).padStart(5, '0')}`;
  const partner = `partner:default/bench-${String(i % 100).padStart(3, '0')}`;
  const at = new Date(Date.UTC(2026, 10, 25) + i * 1_000).toISOString();
  const action = ACTIONS[i % ACTIONS.length];
  const source = SOURCES[i % SOURCES.length];
  switch (i % 4) {
    case 0:
      return {
        at,
        actor: { type: 'system' },
        action,
        outcome: 'success',
        source,
        metadata: { instance, i },
      };
    case 1:
      return {
        at,
        actor: {
          type: 'service',
          ref: `plugin:${instance}`,
        },
        action,
        outcome: i % 7 ? 'success' : 'failure',
        resource: { type: 'tenant', ref: tenant },
        tenant,
        source,
        metadata: { instance, i, reason: i % 7 ? null : 'quota exceeded' },
      };
    default:
      return {
        at,
        actor: {
          type: 'user',
          ref: `user:default/staff-${i % 100}`,
          email: `staff-${i % 100}@bench.example`,
          ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
        },
        action,
        outcome: 'success',
        resource: { type: 'tenant', ref: tenant, name: `Tenant ${i} GmbH` },
        tenant,
        partner,
        source,
        metadata: {
          instance,
          i,
          seats: { from: i % 50, to: (i % 50) + 1 },
          note: 'ü∑ "quoted"',
        },
      };
  }
}
