import {
  BillingConditionKind,
  TenantHealth,
} from '@internal/plugin-billing-common';
import { Knex } from 'knex';

/** A tenant's billing row as the health computation needs it. */
export interface TenantHealthSubject {
  tenantRef: string;
  /** `metadata.name`. */
  tenant: string;
  condition: BillingConditionKind;
}

/** A tenant's stored health. */
export interface StoredTenantHealth {
  health: TenantHealth;
  reasons: string[];
  /** When it was computed (ISO 8601). */
  at: string;
}

/** Refs per UPDATE … WHERE tenant_ref IN (…): well under SQLite's variable limit. */
const CHUNK = 500;

/** Each tenant's health in billing_tenants (health, health_reasons, health_at). */
export class TenantHealthStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Reads every tenant's billing condition, lets `compute` decide each one's
   * health, and writes them all with `at`, in one transaction: one UPDATE
   * per distinct outcome and chunk of 500 tenants (not one per tenant). A
   * throw in `compute` writes nothing. Answers how many tenants were written.
   */
  async refresh(
    compute: (
      subjects: TenantHealthSubject[],
    ) => Map<string, { health: TenantHealth; reasons: string[] }>,
    at: string,
  ): Promise<number> {
    return this.knex.transaction(async tx => {
      const rows = (await tx('billing_tenants').select(
        'tenant_ref',
        'tenant_name',
        'condition_kind',
      )) as Array<{
        tenant_ref: string;
        tenant_name: string;
        condition_kind: string;
      }>;
      const results = compute(
        rows.map(r => ({
          tenantRef: r.tenant_ref,
          tenant: r.tenant_name,
          condition: r.condition_kind as BillingConditionKind,
        })),
      );
      // tenants with the same outcome share one statement
      const groups = new Map<
        string,
        { health: TenantHealth; reasons: string; refs: string[] }
      >();
      for (const r of rows) {
        const result = results.get(r.tenant_ref);
        if (!result) continue;
        const reasons = JSON.stringify(result.reasons);
        const key = `${result.health}\u0000${reasons}`;
        const group = groups.get(key) ?? {
          health: result.health,
          reasons,
          refs: [],
        };
        group.refs.push(r.tenant_ref);
        groups.set(key, group);
      }
      let written = 0;
      for (const { health, reasons, refs } of groups.values()) {
        for (let i = 0; i < refs.length; i += CHUNK) {
          written += await tx('billing_tenants')
            .whereIn('tenant_ref', refs.slice(i, i + CHUNK))
            .update({ health, health_reasons: reasons, health_at: at });
        }
      }
      return written;
    });
  }

  /** Every tenant's stored health, by tenant ref (tenants never computed are left out). */
  async all(): Promise<Map<string, StoredTenantHealth>> {
    const rows = (await this.knex('billing_tenants')
      .whereNotNull('health')
      .select('tenant_ref', 'health', 'health_reasons', 'health_at')) as Array<{
      tenant_ref: string;
      health: string;
      health_reasons: string | null;
      health_at: string;
    }>;
    return new Map(
      rows.map(r => [
        r.tenant_ref,
        {
          health: r.health as TenantHealth,
          reasons: r.health_reasons
            ? (JSON.parse(r.health_reasons) as string[])
            : [],
          at: r.health_at,
        },
      ]),
    );
  }
}
