import { useMemo } from 'react';
import { useApiHolder } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { DEZKY_API_VERSION } from '@internal/plugin-dezky-catalog-common';
import { Flag, FlagScope } from '@internal/plugin-flags-common';
import useAsync from 'react-use/esm/useAsync';

/** The values the chip pickers offer, per scope axis (free typing works too). */
export type ScopeOptions = Record<keyof FlagScope, string[]>;

/** The environments offered before any flag names one. */
export const DEFAULT_ENVIRONMENTS = ['production', 'staging', 'development'];

const sorted = (values: Iterable<string>) =>
  [...new Set(values)].filter(Boolean).sort((a, b) => a.localeCompare(b));

/**
 * Options for the scope pickers: Tenant and Partner names and the plans in
 * use (Tenant spec.plan) from the catalog, plus every value the flags
 * already use. Without a catalog (or when it fails) the flags' own values
 * are offered.
 */
export function useScopeOptions(flags: Flag[]): ScopeOptions {
  const catalogApi = useApiHolder().get(catalogApiRef);
  const catalog = useAsync(async () => {
    if (!catalogApi) return undefined;
    const { items } = await catalogApi.getEntities({
      filter: [
        { kind: 'Tenant', apiVersion: DEZKY_API_VERSION },
        { kind: 'Partner', apiVersion: DEZKY_API_VERSION },
      ],
      fields: ['kind', 'metadata.name', 'spec.plan'],
    });
    return items;
  }, [catalogApi]);

  return useMemo(() => {
    const entities = catalog.value ?? [];
    const tenants = entities.filter(e => e.kind === 'Tenant');
    const partners = entities.filter(e => e.kind === 'Partner');
    const used = (axis: keyof FlagScope) =>
      flags.flatMap(f => f.scope?.[axis] ?? []);
    return {
      plans: sorted([
        ...tenants.map(t => String(t.spec?.plan ?? '')),
        ...used('plans'),
      ]),
      tenants: sorted([
        ...tenants.map(t => t.metadata.name),
        ...used('tenants'),
      ]),
      partners: sorted([
        ...partners.map(p => p.metadata.name),
        ...used('partners'),
      ]),
      environments: sorted([...DEFAULT_ENVIRONMENTS, ...used('environments')]),
    };
  }, [catalog.value, flags]);
}
