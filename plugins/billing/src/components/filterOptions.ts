/*
 * The choices of the billing pages' partner and currency filters: the
 * partners the user may see in the catalog, the currencies of the price
 * catalog — each list with the value in the URL even when it is not (or no
 * longer) among them.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { DEZKY_API_VERSION } from '@internal/plugin-dezky-catalog-common';
import useAsync from 'react-use/esm/useAsync';
import { billingApiRef } from '../api';

export interface Option {
  value: string;
  label: string;
}

/** `options` with `current` added (as itself) when it is set and not among them. */
export function withCurrent(options: Option[], current: string): Option[] {
  return current && !options.some(o => o.value === current)
    ? [...options, { value: current, label: current }]
    : options;
}

/**
 * The Partner entities the user may see, by name (their title beside it
 * when they have one); none while loading or when the catalog fails (the
 * filter still shows the current value). `enabled: false` asks nothing.
 */
export function usePartnerOptions(enabled = true): Option[] {
  const catalogApi = useApi(catalogApiRef);
  const { value } = useAsync(async () => {
    if (!enabled) return [];
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'Partner', apiVersion: DEZKY_API_VERSION },
      fields: ['metadata.name', 'metadata.title'],
    });
    return items
      .map(e => ({
        value: e.metadata.name,
        label:
          e.metadata.title && e.metadata.title !== e.metadata.name
            ? `${e.metadata.name} (${e.metadata.title})`
            : e.metadata.name,
      }))
      .sort((a, b) => a.value.localeCompare(b.value));
  }, [catalogApi, enabled]);
  return value ?? [];
}

/** The currencies the price catalog bills in, sorted; none while loading or when it fails. */
export function useCurrencyOptions(): Option[] {
  const api = useApi(billingApiRef);
  const { value } = useAsync(async () => {
    const { items } = await api.listPrices();
    return [...new Set(items.map(p => p.currency))]
      .sort()
      .map(c => ({ value: c, label: c }));
  }, [api]);
  return value ?? [];
}
