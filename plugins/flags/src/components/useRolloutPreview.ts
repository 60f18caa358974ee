import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { flagsApiRef, RolloutPreview, RolloutPreviewRequest } from '../api';

/** How long the rule must stay unchanged before the server is asked. */
export const PREVIEW_DEBOUNCE_MS = 300;

interface PreviewState {
  loading: boolean;
  value?: RolloutPreview;
  error?: Error;
}

/**
 * How many tenants a (possibly unsaved) rule turns on, asked from the server
 * (POST /preview, the real hash over the catalog's tenants) once the rule has
 * been still for 300 ms. The last answer stays shown while a newer one is on
 * its way; answers for an older rule are dropped.
 */
export function useRolloutPreview(
  rule: RolloutPreviewRequest,
  enabled: boolean,
): PreviewState {
  const api = useApi(flagsApiRef);
  const key = enabled ? JSON.stringify(rule) : '';
  const current = useRef(key);
  const [state, setState] = useState<PreviewState>({ loading: enabled });

  useEffect(() => {
    current.current = key;
    if (!key) {
      setState({ loading: false });
      return undefined;
    }
    setState(s => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      api.preview(JSON.parse(key)).then(
        value => {
          if (current.current === key) setState({ loading: false, value });
        },
        error => {
          if (current.current === key) setState({ loading: false, error });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, key]);

  return state;
}
