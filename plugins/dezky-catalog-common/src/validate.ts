import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { Entity } from '@backstage/catalog-model';
import entitySchema from '../schema/Entity.schema.json';
import partnerSchema from '../schema/Partner.v1alpha1.schema.json';
import tenantSchema from '../schema/Tenant.v1alpha1.schema.json';
import integrationSchema from '../schema/Integration.v1alpha1.schema.json';
import { DEZKY_API_VERSION, DezkyKind, DEZKY_KINDS } from './model';

/** One thing wrong with an entity: which field, and what. */
export interface EntityProblem {
  /** Dotted path of the offending field, e.g. `spec.marginPct`, or `(entity)`. */
  field: string;
  /** What is wrong, in words an editor understands. */
  message: string;
}

/** The JSON schema of each Dezky kind (each `allOf` the Entity envelope). */
export const dezkyKindSchemas: Record<DezkyKind, object> = {
  Partner: partnerSchema,
  Tenant: tenantSchema,
  Integration: integrationSchema,
};

/** The Entity envelope schema the kind schemas refer to. */
export const dezkyEntityEnvelopeSchema: object = entitySchema;

let compiled: Record<DezkyKind, ValidateFunction> | undefined;

function validators(): Record<DezkyKind, ValidateFunction> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
    ajv.addSchema(entitySchema);
    compiled = {
      Partner: ajv.compile(partnerSchema),
      Tenant: ajv.compile(tenantSchema),
      Integration: ajv.compile(integrationSchema),
    };
  }
  return compiled;
}

/** The Dezky kind an entity claims to be, or undefined if it is not one. */
export function dezkyKindOf(entity: Entity): DezkyKind | undefined {
  if (entity?.apiVersion !== DEZKY_API_VERSION) {
    return undefined;
  }
  return DEZKY_KINDS.find(k => k === entity.kind);
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = '';
  for (const part of path) {
    if (/^\d+$/.test(part)) {
      field += `[${part}]`;
    } else {
      field += field ? `.${part}` : part;
    }
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string })
      .missingProperty;
    field = field ? `${field}.${missing}` : missing;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string })
      .additionalProperty;
    field = field ? `${field}.${extra}` : extra;
  }
  return field || '(entity)';
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function messageOf(error: ErrorObject): string {
  const custom = (error.parentSchema as { 'x-message'?: string } | undefined)?.[
    'x-message'
  ];
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(
        error.params as { allowedValues: unknown[] }
      ).allowedValues.join(', ')} (got ${show(error.data)})`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = error.params as {
        comparison: string;
        limit: number;
      };
      return `must be ${comparison} ${limit} (got ${show(error.data)})`;
    }
    case 'type':
      return `must be ${article(
        (error.params as { type: string }).type,
      )} (got ${show(error.data)})`;
    case 'pattern':
      return `${
        custom ?? `must match ${(error.params as { pattern: string }).pattern}`
      } (got ${show(error.data)})`;
    case 'uniqueItems':
      return 'must not list the same value twice';
    case 'minItems':
      return `must list at least ${(error.params as { limit: number }).limit}`;
    case 'minLength':
      return 'must not be empty';
    default:
      return custom ?? error.message ?? 'is invalid';
  }
}

function article(type: string): string {
  if (type === 'integer') {
    return 'a whole number';
  }
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * Validates one entity of a Dezky kind against its JSON schema.
 * Returns every problem found, each naming the field; an empty list means valid.
 * Entities of other kinds return an empty list.
 */
export function validateDezkyEntity(entity: Entity): EntityProblem[] {
  const kind = dezkyKindOf(entity);
  if (!kind) {
    return [];
  }
  const validate = validators()[kind];
  if (validate(entity)) {
    return [];
  }
  const seen = new Set<string>();
  const problems: EntityProblem[] = [];
  for (const error of validate.errors ?? []) {
    // The enum check on `kind`/`apiVersion` only repeats what dezkyKindOf decided.
    // An `if` failure only says its `then` failed; that error is reported itself.
    if (error.keyword === 'if') continue;
    const problem = { field: fieldOf(error), message: messageOf(error) };
    const key = `${problem.field}: ${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** Formats problems as one message naming the entity, for thrown errors. */
export function formatEntityProblems(
  entity: Entity,
  problems: EntityProblem[],
): string {
  const name = `${entity.kind}/${entity.metadata?.name ?? '(unnamed)'}`;
  return problems.map(p => `${name}: ${p.field}: ${p.message}`).join('; ');
}
