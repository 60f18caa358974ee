/**
 * The in-process change signal: the flags backend raises it after each
 * committed mutation, and every flags client in the same process marks its
 * snapshot stale, so its next answer reflects the change. Kept on
 * `globalThis` so that two copies of this module (e.g. a bundler's) still
 * share one signal.
 */
const KEY = Symbol.for('@internal/plugin-flags-node/changes');

type Listener = () => void;

function listeners(): Set<Listener> {
  const global = globalThis as unknown as Record<symbol, Set<Listener>>;
  if (!global[KEY]) {
    global[KEY] = new Set();
  }
  return global[KEY];
}

/**
 * Tells the flags clients of this process that the flags changed. Called by
 * the flags backend after a mutation has committed.
 *
 * @public
 */
export function notifyFlagsChanged(): void {
  for (const listener of [...listeners()]) {
    try {
      listener();
    } catch {
      // a listener's failure is its own; the others still hear of the change
    }
  }
}

/**
 * Calls `listener` whenever the flags change in this process; returns the
 * function that stops it.
 *
 * @public
 */
export function onFlagsChanged(listener: Listener): () => void {
  listeners().add(listener);
  return () => {
    listeners().delete(listener);
  };
}
