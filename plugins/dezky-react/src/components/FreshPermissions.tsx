import { ReactNode } from 'react';
import { SWRConfig } from 'swr';

/**
 * For tests: renders its children with an empty cache of permission
 * decisions. `usePermission` keeps decisions in SWR's process-wide cache
 * (and dedupes requests for two seconds), so without this a test would see
 * the decision an earlier test's permission API gave.
 */
export function FreshPermissions(props: { children: ReactNode }) {
  return (
    <SWRConfig value={{ provider: () => new Map(), dedupingInterval: 0 }}>
      {props.children}
    </SWRConfig>
  );
}
