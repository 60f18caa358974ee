/*
 * Fault injection per system: validation of DevFault values and the
 * per-request decision (rate limit, 429, 500 to the next N calls or to the
 * calls of some paths).
 */
import { DevFault } from './types';

export class FaultValidationError extends Error {}

const KEYS = [
  'down',
  'slowMs',
  'tooManyRequests',
  'failNext',
  'rateLimit',
  'failPaths',
];

function nonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** A DevFault from untrusted input; throws FaultValidationError with a message naming the key. */
export function validateFault(input: unknown): DevFault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultValidationError('a fault must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      throw new FaultValidationError(
        `unknown fault key "${key}" (allowed: ${KEYS.join(', ')})`,
      );
    }
  }
  const fault: DevFault = {};
  if (raw.down !== undefined) {
    if (typeof raw.down !== 'boolean')
      throw new FaultValidationError('"down" must be a boolean');
    fault.down = raw.down;
  }
  if (raw.slowMs !== undefined) {
    if (!nonNegativeInteger(raw.slowMs))
      throw new FaultValidationError(
        '"slowMs" must be a non-negative integer (milliseconds)',
      );
    fault.slowMs = raw.slowMs;
  }
  if (raw.tooManyRequests !== undefined) {
    const t = raw.tooManyRequests as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) {
      throw new FaultValidationError(
        '"tooManyRequests" must be an object {retryAfterSeconds, count?}',
      );
    }
    for (const key of Object.keys(t)) {
      if (key !== 'retryAfterSeconds' && key !== 'count') {
        throw new FaultValidationError(
          `unknown key "tooManyRequests.${key}" (allowed: retryAfterSeconds, count)`,
        );
      }
    }
    if (!nonNegativeInteger(t.retryAfterSeconds)) {
      throw new FaultValidationError(
        '"tooManyRequests.retryAfterSeconds" must be a non-negative integer (seconds)',
      );
    }
    if (
      t.count !== undefined &&
      !(nonNegativeInteger(t.count) && t.count >= 1)
    ) {
      throw new FaultValidationError(
        '"tooManyRequests.count" must be a positive integer',
      );
    }
    fault.tooManyRequests = {
      retryAfterSeconds: t.retryAfterSeconds,
      ...(t.count !== undefined ? { count: t.count as number } : {}),
    };
  }
  if (raw.failNext !== undefined) {
    if (!nonNegativeInteger(raw.failNext))
      throw new FaultValidationError(
        '"failNext" must be a non-negative integer',
      );
    fault.failNext = raw.failNext;
  }
  if (raw.rateLimit !== undefined) {
    if (!(nonNegativeInteger(raw.rateLimit) && raw.rateLimit >= 1))
      throw new FaultValidationError(
        '"rateLimit" must be a positive integer (requests per second)',
      );
    fault.rateLimit = raw.rateLimit;
  }
  if (raw.failPaths !== undefined) {
    if (!Array.isArray(raw.failPaths)) {
      throw new FaultValidationError(
        '"failPaths" must be an array of path prefixes, e.g. ["/v1/subscriptions/sub_123"]',
      );
    }
    raw.failPaths.forEach((prefix: unknown, i: number) => {
      if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
        throw new FaultValidationError(
          `"failPaths[${i}]" must be a path prefix starting with "/", got ${JSON.stringify(
            prefix,
          )}`,
        );
      }
      if (/[?#\s]/.test(prefix)) {
        throw new FaultValidationError(
          `"failPaths[${i}]" must be a path without query string, fragment or whitespace (it is matched against the path only), got ${JSON.stringify(
            prefix,
          )}`,
        );
      }
    });
    fault.failPaths = [...(raw.failPaths as string[])];
  }
  return fault;
}

export type FaultDecision =
  | { kind: 'tooManyRequests'; retryAfterSeconds: number }
  | { kind: 'serverError' }
  | undefined;

/** The live fault of one system: counters are consumed as requests arrive. */
export class SystemFault {
  private fault: DevFault = {};
  /** Arrival times of the requests the rate limiter let through in the last second. */
  private admitted: number[] = [];

  set(fault: DevFault) {
    this.fault = { ...fault };
    if (fault.tooManyRequests) {
      this.fault.tooManyRequests = { ...fault.tooManyRequests };
    }
    if (fault.failPaths) this.fault.failPaths = [...fault.failPaths];
    this.admitted = [];
  }

  clear() {
    this.set({});
  }

  /** The current fault, with the counts still to be consumed. */
  current(): DevFault {
    return JSON.parse(JSON.stringify(this.fault));
  }

  get down(): boolean {
    return this.fault.down === true;
  }

  get slowMs(): number {
    return this.fault.slowMs ?? 0;
  }

  /**
   * Decides the fate of an arriving request, in this order: rateLimit,
   * tooManyRequests, failPaths (`path` without query string; a matching
   * request does not consume failNext), failNext.
   */
  decide(now = Date.now(), path = '/'): FaultDecision {
    const { rateLimit, tooManyRequests, failNext, failPaths } = this.fault;
    if (rateLimit !== undefined) {
      this.admitted = this.admitted.filter(t => t > now - 1000);
      if (this.admitted.length >= rateLimit) {
        // honest: a request made Retry-After seconds from now is admitted
        const freeAt = this.admitted[0] + 1000;
        return {
          kind: 'tooManyRequests',
          retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)),
        };
      }
      this.admitted.push(now);
    }
    if (tooManyRequests) {
      const { retryAfterSeconds, count } = tooManyRequests;
      if (count !== undefined) {
        if (count <= 1) delete this.fault.tooManyRequests;
        else tooManyRequests.count = count - 1;
      }
      return { kind: 'tooManyRequests', retryAfterSeconds };
    }
    if (failPaths?.some(prefix => path.startsWith(prefix))) {
      return { kind: 'serverError' };
    }
    if (failNext !== undefined && failNext > 0) {
      if (failNext <= 1) delete this.fault.failNext;
      else this.fault.failNext = failNext - 1;
      return { kind: 'serverError' };
    }
    return undefined;
  }
}
