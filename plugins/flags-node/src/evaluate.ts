import { hash } from 'crypto';
import {
  Flag,
  FlagContext,
  FlagEvaluation,
  FlagReason,
  FlagScope,
} from '@internal/plugin-flags-common';

/**
 * The tenant's rollout bucket for a flag, 0–9999: the first 4 bytes of
 * SHA-256 of the UTF-8 string `<tenant>:<flagKey>`, read as an unsigned
 * big-endian integer, mod 10000.
 */
export function rolloutBucket(tenant: string, flagKey: string): number {
  // the one-shot hash (a string is hashed as UTF-8); its first 8 hex digits
  // are the first 4 bytes, big-endian, and fit a double exactly
  const hex = hash('sha256', `${tenant}:${flagKey}`, 'hex');
  return parseInt(hex.slice(0, 8), 16) % 10_000;
}

/** The rollout threshold of a percentage: a bucket below it is in. */
export function rolloutThreshold(pct: number): number {
  return Math.round(pct * 100);
}

const AXES: ReadonlyArray<readonly [keyof FlagScope, keyof FlagContext]> = [
  ['plans', 'plan'],
  ['tenants', 'tenant'],
  ['partners', 'partner'],
  ['environments', 'environment'],
];

/** True when no scope list has an entry. */
export function isScopeEmpty(scope: FlagScope): boolean {
  return AXES.every(([axis]) => scope[axis].length === 0);
}

/** True iff every non-empty scope list contains the context's value. */
export function matchesScope(scope: FlagScope, context: FlagContext): boolean {
  return compileScope(scope)(context);
}

/**
 * A flag prepared for evaluation ({@link compileFlag}): the same answers as
 * {@link evaluateFlag}, without re-reading the flag on every call.
 *
 * @public
 */
export interface CompiledFlag {
  readonly key: string;
  /**
   * The flag's value for the context, and why. Answers that do not depend
   * on the tenant's bucket are built once, frozen and shared between calls;
   * a rollout's answer (with the bucket) is a new object each time.
   */
  evaluate(context: FlagContext): FlagEvaluation;
}

type ScopeTest = (context: FlagContext) => boolean;

const everyone: ScopeTest = () => true;

/**
 * The scope as a test: one Set per non-empty list (a missing value is in no
 * list; values compare exactly, as `includes` would).
 */
function compileScope(scope: FlagScope): ScopeTest {
  const checks = AXES.filter(([axis]) => scope[axis].length > 0).map(
    ([axis, field]) => ({ field, values: new Set<unknown>(scope[axis]) }),
  );
  const has = (c: (typeof checks)[number], context: FlagContext) => {
    const value = context[c.field];
    return value !== undefined && c.values.has(value);
  };
  switch (checks.length) {
    case 0:
      return everyone;
    case 1: {
      const [a] = checks;
      return context => has(a, context);
    }
    case 2: {
      const [a, b] = checks;
      return context => has(a, context) && has(b, context);
    }
    default:
      return context => checks.every(c => has(c, context));
  }
}

const answer = (
  key: string,
  value: boolean,
  reason: FlagReason,
): FlagEvaluation => Object.freeze({ key, value, reason });

/**
 * Prepares a flag for many evaluations (once per snapshot of the flags):
 * the scope lists become Sets, the threshold is computed once, and every
 * answer but a rollout's (which carries the tenant's bucket) is built once.
 * The flag is read now; changing the object afterwards changes nothing.
 * The rules are exactly those of {@link evaluateFlag}.
 *
 * @public
 */
export function compileFlag(flag: Flag): CompiledFlag {
  const { key, state } = flag;
  switch (state) {
    case 'off': {
      const off = answer(key, false, 'off');
      return { key, evaluate: () => off };
    }
    case 'on': {
      const on = answer(key, true, 'on');
      return { key, evaluate: () => on };
    }
    case 'targeted': {
      if (isScopeEmpty(flag.scope)) {
        const nobody = answer(key, false, 'targeted-no-scope');
        return { key, evaluate: () => nobody };
      }
      const inScope = compileScope(flag.scope);
      const match = answer(key, true, 'targeted-match');
      const noMatch = answer(key, false, 'targeted-no-match');
      return {
        key,
        evaluate: context => (inScope(context) ? match : noMatch),
      };
    }
    case 'rollout': {
      const inScope = compileScope(flag.scope);
      const mismatch = answer(key, false, 'rollout-scope-mismatch');
      const threshold = rolloutThreshold(flag.pct);
      return {
        key,
        evaluate(context) {
          if (!inScope(context)) return mismatch;
          const bucket = rolloutBucket(context.tenant, key);
          return bucket < threshold
            ? { key, value: true, reason: 'rollout-in', bucket }
            : { key, value: false, reason: 'rollout-out', bucket };
        },
      };
    }
    default: {
      // as before: an unknown state fails the evaluation of that flag only
      const message = `Unknown flag state: ${String(state)}`;
      return {
        key,
        evaluate: () => {
          throw new Error(message);
        },
      };
    }
  }
}

/**
 * A set of flags compiled once ({@link compileFlags}): by key, and in the
 * order given.
 *
 * @public
 */
export interface CompiledFlags {
  /** The compiled flags, in the order given (the stores give them by key). */
  readonly list: ReadonlyArray<CompiledFlag>;
  /** One flag by key; undefined when there is none. */
  get(key: string): CompiledFlag | undefined;
  /** Every flag's answer for the context, in order. */
  evaluateAll(context: FlagContext): FlagEvaluation[];
}

/**
 * Compiles every flag of a snapshot ({@link compileFlag}); keep the result
 * for as long as the snapshot.
 *
 * @public
 */
export function compileFlags(flags: ReadonlyArray<Flag>): CompiledFlags {
  const list = flags.map(compileFlag);
  const byKey = new Map(list.map(f => [f.key, f]));
  return {
    list,
    get: key => byKey.get(key),
    evaluateAll(context) {
      const out = new Array<FlagEvaluation>(list.length);
      for (let i = 0; i < list.length; i++) out[i] = list[i].evaluate(context);
      return out;
    },
  };
}

/**
 * A flag's value for a tenant, exactly as docs/flags.md states it:
 * - off → false; on → true;
 * - targeted → false when every scope list is empty (an empty allowlist
 *   means nobody), else true iff every non-empty list contains the tenant's
 *   value;
 * - rollout → the scope must match (empty lists match everyone), then
 *   `bucket < round(pct × 100)`.
 *
 * One evaluation; to evaluate the same flags many times, compile them once
 * ({@link compileFlags}), as the flags backend and client do.
 */
export function evaluateFlag(flag: Flag, context: FlagContext): FlagEvaluation {
  return compileFlag(flag).evaluate(context);
}
