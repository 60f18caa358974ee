/*
 * A portal instance against the development stand-ins, for the tests that
 * run provisioning over real HTTP (provisioning.devPlatform.test.ts,
 * lifecycle.devPlatform.test.ts).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DevPlatform,
  devPlatformProvisioningConfig,
} from '@internal/dev-platform';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import { ProvisioningStore } from '../database/ProvisioningStore';
import { DesiredTenant } from '../engine/desired';
import { ProvisioningEngine } from '../engine/ProvisioningEngine';
import { Reconciler } from '../engine/Reconciler';
import { createSystems } from '../systems';
import { StepDriver } from '../steps/types';

export const tenant = (
  i: number,
  extra: Partial<DesiredTenant> = {},
): DesiredTenant => {
  const name = `tenant-${String(i).padStart(4, '0')}`;
  return {
    tenantRef: `tenant:default/${name}`,
    name,
    title: `Tenant ${i}`,
    partnerRef: `partner:default/p${i % 3}`,
    status: 'active',
    plan: 'business',
    seats: 10,
    domains: [`${name}.example`, ...(i % 2 ? [`mail.${name}.example`] : [])],
    integrations: ['authentik', 'stalwart', 'ocis'],
    planned: [],
    ...extra,
  };
};

export function platformConfig(
  platform: DevPlatform,
  limits: Record<string, number> = {},
) {
  return new ConfigReader({
    provisioning: devPlatformProvisioningConfig(platform.urls, limits),
  });
}

/** One portal instance: store, engine, real clients; its audit events and a clock it may run ahead. */
export async function instance(
  knex: Knex,
  platform: DevPlatform,
  options: {
    enabled?: (ref: string) => boolean;
    wrap?: (d: StepDriver) => StepDriver;
    graceMs?: number;
  } = {},
) {
  const store = await ProvisioningStore.create({
    database: mockServices.database({ knex }),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
  });
  const systems = createSystems(
    platformConfig(platform, { timeoutMs: 3000 }),
    store,
  );
  const drivers = systems.drivers.map(options.wrap ?? (d => d));
  const audited: AuditEventInput[] = [];
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const logger = mockServices.logger.mock();
  const engine = new ProvisioningEngine({
    store,
    drivers,
    logger,
    now,
    reconciler: new Reconciler({
      store,
      drivers,
      logger,
      now,
      enabled: async ref => options.enabled?.(ref) ?? true,
      trail: {
        record: async events => {
          audited.push(...events);
          return [];
        },
      },
    }),
  });
  return { store, engine, audited, clock, systems, logger };
}

export type Instance = Awaited<ReturnType<typeof instance>>;

/** Works until every given tenant's needed steps are ok (DKIM keys arrive after a while). */
export async function converge(
  p: Instance,
  refs: string[],
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await p.engine.drain();
    const all = await p.store.conditions(refs);
    const done = refs.every(ref => {
      const cs = all.get(ref) ?? [];
      return (
        cs.length === 3 &&
        cs.every(c => c.status === 'ok' || c.status === 'skipped')
      );
    });
    if (done) return all;
    if (Date.now() > deadline) {
      throw new Error(
        `not converged: ${JSON.stringify(
          [...all.entries()].map(([r, cs]) => [
            r,
            cs.map(c => [c.step, c.status, c.message]),
          ]),
        ).slice(0, 2000)}`,
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

/** What the stand-ins hold, by tenant name. */
export function holdings(platform: DevPlatform) {
  const s = platform.state();
  const groups = s.authentik.groups as Array<{ name: string }>;
  const drives = (
    s.ocis.drives as Array<{ name: string; driveType: string }>
  ).filter(d => d.driveType === 'project');
  const domains = s.stalwart.domains as Array<{ name: string }>;
  const count = <T extends { name: string }>(list: T[]) => {
    const m = new Map<string, number>();
    for (const x of list) m.set(x.name, (m.get(x.name) ?? 0) + 1);
    return m;
  };
  return {
    groups: count(groups),
    drives: count(drives),
    domains: count(domains),
  };
}
