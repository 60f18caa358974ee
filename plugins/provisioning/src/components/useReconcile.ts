import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { ReconcileResult } from '@internal/plugin-provisioning-common';
import { errorMessage, provisioningApiRef } from '../api';
import { ReconcileState } from './ReconcileButton';

/**
 * Reconcile on demand, per tenant: where each call stands, and `reconcile`
 * to start one. `onResult` gets the server's answer (the tenant as it is
 * now) to show in place.
 */
export function useReconcile(onResult: (result: ReconcileResult) => void) {
  const api = useApi(provisioningApiRef);
  const [states, setStates] = useState<Record<string, ReconcileState>>({});
  const latest = useRef(onResult);
  latest.current = onResult;
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const reconcile = useCallback(
    async (tenant: string) => {
      const set = (state: ReconcileState) => {
        if (mounted.current) setStates(s => ({ ...s, [tenant]: state }));
      };
      set({ busy: true });
      try {
        const result = await api.reconcile(tenant);
        set({ busy: false, outcome: result.outcome });
        if (mounted.current) latest.current(result);
      } catch (error) {
        set({ busy: false, error: errorMessage(error) });
      }
    },
    [api],
  );

  return { states, reconcile };
}
