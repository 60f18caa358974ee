import { useCallback, useEffect, useRef, useState } from 'react';

interface Loaded<T> {
  /** The key this state is for. */
  key: string;
  value?: T;
  error?: Error;
}

/**
 * What `load` answers for `key` (the filters and page as JSON, say):
 * progress while a new key loads, answers for a key no longer current
 * dropped. `refresh` loads the same key again keeping the answer on screen
 * meanwhile; `update` changes the answer in place (a row a sync replaced).
 */
export function useKeyedLoad<T>(key: string, load: () => Promise<T>) {
  const latest = useRef(load);
  latest.current = load;
  const [state, setState] = useState<Loaded<T>>({ key });
  const [round, setRound] = useState(0);

  useEffect(() => {
    let current = true;
    setState(s => (s.key === key && s.value ? s : { key }));
    latest.current().then(
      value => current && setState({ key, value }),
      error => current && setState({ key, error }),
    );
    return () => {
      current = false;
    };
  }, [key, round]);

  const refresh = useCallback(() => setRound(r => r + 1), []);
  const update = useCallback(
    (change: (value: T) => T) =>
      setState(s => (s.value ? { ...s, value: change(s.value) } : s)),
    [],
  );
  const fresh = state.key === key;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    loading: !fresh || (!state.value && !state.error),
    refresh,
    update,
  };
}

/** A list's page from 0 and its size, kept in the component (entity tabs and sections). */
export interface LocalPage {
  page: number;
  pageSize: number;
}
