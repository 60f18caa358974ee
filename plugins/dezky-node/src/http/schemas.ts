import { z } from 'zod';

/** A whole number in a query parameter (`?limit=50`), with the words every router uses. */
function wholeNumber(min: number, max?: number) {
  const n = z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`);
  return max === undefined ? n : n.max(max, `must be at most ${max}`);
}

/**
 * The `limit` and `offset` query parameters of a list: limit from 1 to
 * `maxLimit` (default 200) defaulting to `defaultLimit` (50), offset from 0.
 * Spread it into a query schema: `z.object({ ...pageQuery(), phase })`.
 *
 * @public
 */
export function pageQuery(
  options: { defaultLimit?: number; maxLimit?: number } = {},
) {
  return {
    limit: wholeNumber(1, options.maxLimit ?? 200).default(
      options.defaultLimit ?? 50,
    ),
    offset: wholeNumber(0).default(0),
  };
}

/**
 * A tenant's `metadata.name` in a path or query (`/tenants/:name`).
 *
 * @public
 */
export const tenantName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be a tenant name: letters, digits, ".", "_" and "-"',
  );
