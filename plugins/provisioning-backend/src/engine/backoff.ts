/** The first retry of a failed step, before jitter (ms). */
export const BACKOFF_MIN_MS = 1_000;
/** The longest wait between two attempts (ms). */
export const BACKOFF_MAX_MS = 15 * 60_000;

/**
 * The wait before attempt `attempts + 1` after `attempts` failures (≥ 1):
 * 1 s doubling per failure, times a jitter in [0.8, 1.2), kept within
 * 1 s … 15 min. The jitter spreads instances and tenants that failed
 * together; its range keeps each wait longer than the one before until the
 * cap (0.8 × 2 > 1.2).
 */
export function backoffMs(
  attempts: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempts));
  const base = BACKOFF_MIN_MS * 2 ** Math.min(n - 1, 30);
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(
    Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, jittered)),
  );
}
