import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
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

/**
 * 0–100 with at most two decimals, exactly: the number must be the one its
 * two-decimal rounding gives (99.999999999 is refused, not stored as 100).
 */
export const pct = z
  .number({ error: 'must be a number' })
  .min(0, 'must be between 0 and 100')
  .max(100, 'must be between 0 and 100')
  .refine(
    n => Math.round(n * 100) / 100 === n,
    'must have at most two decimals',
  );

/** A catalog entity name (metadata.name): what tenants, partners and plans are. */
export const CATALOG_NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const catalogName = z
  .string()
  .trim()
  .regex(CATALOG_NAME, 'must be a catalog name (letters, digits, - _ .)');

const scopeList = z.array(catalogName).max(1000, 'at most 1000 values');

/** Given lists replace the flag's; absent ones are kept (PATCH) or empty (POST). */
export const scope = z
  .object({
    plans: scopeList.optional(),
    tenants: scopeList.optional(),
    partners: scopeList.optional(),
    environments: scopeList.optional(),
  })
  .strict();

/** The owning user or group, as an entity ref; stored as `kind:namespace/name`. */
const owner = z
  .string()
  .trim()
  .max(255)
  .transform((s, ctx) => {
    try {
      const ref = parseEntityRef(s);
      const kind = ref.kind.toLocaleLowerCase('en-US');
      if (
        (kind === 'user' || kind === 'group') &&
        CATALOG_NAME.test(ref.name) &&
        CATALOG_NAME.test(ref.namespace)
      ) {
        return stringifyEntityRef({ ...ref, kind });
      }
    } catch {
      // reported below
    }
    ctx.addIssue({
      code: 'custom',
      message:
        'must be the entity ref of a user or group, e.g. group:default/dezky-platform-admins',
    });
    return z.NEVER;
  });

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

/**
 * A tenant's name (`acme`) or entity ref (`tenant:default/acme`,
 * `tenant:acme`), as its metadata.name. Tenants live in the default
 * namespace: a ref to another namespace, another kind, or anything with
 * path characters is refused, never read as a bare name.
 */
export const tenantName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .transform((s, ctx) => {
    let ref: { kind: string; namespace: string; name: string } | undefined;
    try {
      ref = parseEntityRef(s, {
        defaultKind: 'tenant',
        defaultNamespace: 'default',
      });
    } catch {
      ref = undefined;
    }
    if (!ref || ref.kind.toLocaleLowerCase('en-US') !== 'tenant') {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a tenant name or a tenant entity ref',
      });
      return z.NEVER;
    }
    if (ref.namespace.toLocaleLowerCase('en-US') !== 'default') {
      ctx.addIssue({
        code: 'custom',
        message: `must be a tenant of the default namespace (not ${ref.namespace})`,
      });
      return z.NEVER;
    }
    if (!CATALOG_NAME.test(ref.name)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a tenant name: letters, digits, - _ .',
      });
      return z.NEVER;
    }
    return ref.name;
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
