import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { LifecycleActionResult } from '@internal/plugin-provisioning-common';
import { errorMessage, ProvisioningApi, provisioningApiRef } from '../api';

/** Where a suspend, resume or terminate of one tenant stands. */
export interface LifecycleActionState {
  busy: boolean;
  /** The server's message when it refused. */
  error?: string;
}

/**
 * Suspend, resume and terminate one tenant: `run` calls the API and
 * resolves to true when the server agreed, after handing its answer (the
 * tenant as it is now) to `onResult`; on a refusal `state.error` holds the
 * server's message and `onRefused` is called (what is on screen may be out
 * of date). `clear` forgets a previous error.
 */
export function useLifecycleAction(
  onResult: (result: LifecycleActionResult) => void,
  onRefused?: () => void,
) {
  const api = useApi(provisioningApiRef);
  const [state, setState] = useState<LifecycleActionState>({ busy: false });
  const latest = useRef({ onResult, onRefused });
  latest.current = { onResult, onRefused };
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const run = useCallback(
    async (
      call: (a: ProvisioningApi) => Promise<LifecycleActionResult>,
    ): Promise<boolean> => {
      setState({ busy: true });
      try {
        const result = await call(api);
        if (!mounted.current) return true;
        setState({ busy: false });
        latest.current.onResult(result);
        return true;
      } catch (error) {
        if (!mounted.current) return false;
        setState({ busy: false, error: errorMessage(error) });
        latest.current.onRefused?.();
        return false;
      }
    },
    [api],
  );
  const clear = useCallback(() => setState({ busy: false }), []);

  return { state, run, clear };
}
