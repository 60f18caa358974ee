import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** `scope.tenants.2`, or `what` for the whole value. */
function pathOf(path: ReadonlyArray<PropertyKey>, what: string): string {
  return path.length ? path.map(String).join('.') : what;
}

/**
 * The first string holding a NUL character, by path, anywhere in a parsed
 * value. PostgreSQL cannot store NUL in text or jsonb, and no field of ours
 * means it.
 */
function findNul(
  value: unknown,
  path: PropertyKey[] = [],
  depth = 0,
): PropertyKey[] | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? path : undefined;
  }
  if (depth > 64 || typeof value !== 'object' || value === null) {
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return [...path, k];
    const found = findNul(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Parses a request part (body, query, a path parameter) with a zod schema, or
 * throws one InputError (400) naming every bad field:
 * `pct: must have at most two decimals; scope.tenants.0: unknown tenant`.
 * `what` names the part when an issue has no path (`body`, `query`, `key`).
 * Strings holding a NUL character are refused before the schema runs.
 *
 * @public
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what = 'body',
): z.output<T> {
  const nul = findNul(input);
  if (nul) {
    throw new InputError(`${pathOf(nul, what)}: must not contain a NUL byte`);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues
        .map(issue => `${pathOf(issue.path, what)}: ${issue.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}
