import { InputError } from '@backstage/errors';
import { FLAG_STATES, FLAG_TYPES } from '@internal/plugin-flags-common';
import { z } from 'zod';

/** Lower case letters, digits, `_` and `-`, 1–64 characters. */
export const FLAG_KEY_PATTERN = /^[a-z0-9_-]{1,64}$/;

export const flagKey = z
  .string()
  .regex(
    FLAG_KEY_PATTERN,
    'must be a slug: lower case letters, digits, _ and -, 1–64 characters',
  );

/** 0–100 with at most two decimals. */
export const pct = z
  .number()
  .min(0, 'must be between 0 and 100')
  .max(100, 'must be between 0 and 100')
  .refine(
    n => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6,
    'must have at most two decimals',
  );

const scopeList = z.array(z.string().trim().min(1).max(200)).max(1000);

/** Given lists replace the flag's; absent ones are kept (PATCH) or empty (POST). */
export const scope = z
  .object({
    plans: scopeList.optional(),
    tenants: scopeList.optional(),
    partners: scopeList.optional(),
    environments: scopeList.optional(),
  })
  .strict();

const owner = z.string().trim().min(1).max(255);

export const createFlagBody = z
  .object({
    key: flagKey,
    description: z.string().trim().min(1).max(2000),
    type: z.enum(FLAG_TYPES).default('release'),
    state: z.enum(FLAG_STATES).default('off'),
    pct: pct.default(0),
    scope: scope.default({}),
    owner: owner.optional(),
  })
  .strict();
export type CreateFlagInput = z.output<typeof createFlagBody>;

export const patchFlagBody = z
  .object({
    description: z.string().trim().min(1).max(2000).optional(),
    type: z.enum(FLAG_TYPES).optional(),
    state: z.enum(FLAG_STATES).optional(),
    pct: pct.optional(),
    scope: scope.optional(),
    /** null removes the owner. */
    owner: owner.nullable().optional(),
  })
  .strict();
export type PatchFlagInput = z.output<typeof patchFlagBody>;

/** A tenant's name (`acme`) or entity ref (`tenant:default/acme`). */
export const tenantName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .transform((s, ctx) => {
    const m = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(s);
    if (!m || (m[1] && m[1].toLocaleLowerCase('en-US') !== 'tenant')) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a tenant name or a tenant entity ref',
      });
      return z.NEVER;
    }
    return m[3];
  });

export const evaluateBody = z.object({ tenant: tenantName }).strict();

export const bulkEvaluateBody = z
  .object({ tenants: z.array(tenantName).max(1000, 'at most 1000 tenants') })
  .strict();

export const previewBody = z
  .object({
    /** The flag whose rollout is previewed: the bucket depends on it. */
    key: flagKey.optional(),
    state: z.enum(FLAG_STATES),
    pct: pct.default(0),
    scope: scope.default({}),
  })
  .strict();

/** Parses, or throws a 400 naming each bad field. */
export function parse<T extends z.ZodTypeAny>(
  schema: T,
  input: unknown,
  what = 'body',
): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues
        .map(i => `${i.path.join('.') || what}: ${i.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}

/** A percentage other than 0 is only for rollouts. */
export function checkPct(state: string, value: number): void {
  if (state !== 'rollout' && value !== 0) {
    throw new InputError(
      `pct: must be 0 unless state is rollout (state is ${state})`,
    );
  }
}
