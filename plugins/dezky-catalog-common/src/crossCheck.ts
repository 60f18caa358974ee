import {
  DEFAULT_NAMESPACE,
  Entity,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  parseEntityRef,
  stringifyEntityRef,
  userEntityV1alpha1Validator,
  KindValidator,
} from '@backstage/catalog-model';
import { parseAllDocuments } from 'yaml';
import { dezkyEntityReferences } from './refs';
import { DEZKY_API_VERSION, DEZKY_KINDS } from './model';
import { EntityProblem, validateDezkyEntity } from './validate';

/** An entity read from a file, with where it came from. */
export interface SourcedEntity {
  /** The file it was read from, as the caller wants it printed. */
  file: string;
  entity: Entity;
  /** Its document number within the file (1-based), for labelling an entity without a name. */
  document?: number;
}

/** A problem in a file: which file, which entity, which field, what. */
export interface CatalogProblem extends EntityProblem {
  file: string;
  /** `kind/name` of the entity, or `(document N)` when it has none. */
  entity: string;
}

const builtinValidators: Record<string, KindValidator> = {
  user: userEntityV1alpha1Validator,
  group: groupEntityV1alpha1Validator,
  location: locationEntityV1alpha1Validator,
};

/**
 * Checks that every reference a Dezky entity makes (owner, partner,
 * integrations) names an entity of the right kind, using `exists` to look up
 * full entity refs. Shared by validate-catalog (refs in files) and the catalog
 * processor (refs in the catalog).
 */
export async function checkDezkyReferences(
  entity: Entity,
  exists: (refs: string[]) => Promise<Set<string>> | Set<string>,
): Promise<EntityProblem[]> {
  const references = dezkyEntityReferences(entity);
  const problems: EntityProblem[] = [];
  const wanted: string[] = [];
  for (const r of references) {
    if (r.error || !r.targetRef) {
      problems.push({
        field: r.field,
        message: `is not a valid entity ref: ${r.error}`,
      });
    } else if (
      r.field === 'spec.owner' &&
      !['group', 'user'].includes(parseEntityRef(r.targetRef).kind)
    ) {
      problems.push({
        field: r.field,
        message: `must name a group or a user (got ${JSON.stringify(r.value)})`,
      });
    } else if (
      r.field !== 'spec.owner' &&
      parseEntityRef(r.targetRef).kind !== r.targetKind
    ) {
      const article = /^[aeiou]/.test(r.targetKind) ? 'an' : 'a';
      problems.push({
        field: r.field,
        message: `must name ${article} ${r.targetKind} (got ${JSON.stringify(
          r.value,
        )})`,
      });
    } else {
      wanted.push(r.targetRef);
    }
  }
  if (wanted.length) {
    const found = await exists(wanted);
    for (const r of references) {
      if (
        r.targetRef &&
        wanted.includes(r.targetRef) &&
        !found.has(r.targetRef)
      ) {
        const { kind } = parseEntityRef(r.targetRef);
        problems.push({
          field: r.field,
          message: `${kind} ${JSON.stringify(
            r.value,
          )} does not exist (looked for ${r.targetRef})`,
        });
      }
    }
  }
  return problems;
}

function entityLabel(entity: Entity | undefined, document: number): string {
  const name = entity?.metadata?.name;
  return entity?.kind && typeof name === 'string'
    ? `${entity.kind}/${name}`
    : `(document ${document})`;
}

/** The document number of each entity within its own file (not within the whole set). */
function documentNumbers(sourced: SourcedEntity[]): number[] {
  const seen = new Map<string, number>();
  return sourced.map(({ file, document }) => {
    const n = (seen.get(file) ?? 0) + 1;
    seen.set(file, n);
    return document ?? n;
  });
}

/** Parses the YAML text of one file into entities, reporting parse errors as problems. */
export function parseCatalogFile(
  file: string,
  text: string,
): { entities: SourcedEntity[]; problems: CatalogProblem[] } {
  const entities: SourcedEntity[] = [];
  const problems: CatalogProblem[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length) {
      for (const error of doc.errors) {
        problems.push({
          file,
          entity: `(document ${index + 1})`,
          field: '(yaml)',
          message: error.message.split('\n')[0],
        });
      }
      return;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) {
      return; // an empty document, e.g. a trailing ---
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({
        file,
        entity: `(document ${index + 1})`,
        field: '(document)',
        message: 'must be a mapping with apiVersion, kind, metadata and spec',
      });
      return;
    }
    entities.push({ file, entity: value as Entity, document: index + 1 });
  });
  return { entities, problems };
}

/**
 * Validates a whole set of entities as the catalog would hold them: each
 * against its schema, names unique, and every partner, integration and owner
 * reference resolving to an entity of the set.
 */
export async function validateCatalogEntities(
  sourced: SourcedEntity[],
): Promise<CatalogProblem[]> {
  const problems: CatalogProblem[] = [];
  const refs = new Map<string, string>();
  const documents = documentNumbers(sourced);
  sourced.forEach(({ file, entity }, index) => {
    const label = entityLabel(entity, documents[index]);
    const add = (p: EntityProblem) =>
      problems.push({ file, entity: label, ...p });
    for (const field of ['apiVersion', 'kind'] as const) {
      if (typeof entity[field] !== 'string' || !entity[field]) {
        add({ field, message: 'is required' });
      }
    }
    if (typeof entity.metadata?.name !== 'string' || !entity.metadata.name) {
      add({ field: 'metadata.name', message: 'is required' });
      return;
    }
    if (
      entity.apiVersion === DEZKY_API_VERSION &&
      !DEZKY_KINDS.includes(entity.kind as any)
    ) {
      add({
        field: 'kind',
        message: `must be one of ${DEZKY_KINDS.join(
          ', ',
        )} for ${DEZKY_API_VERSION} (got ${JSON.stringify(entity.kind)})`,
      });
      return;
    }
    validateDezkyEntity(entity).forEach(add);
    const ref = stringifyEntityRef({
      kind: entity.kind,
      namespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
      name: entity.metadata.name,
    });
    const previous = refs.get(ref);
    if (previous) {
      add({
        field: 'metadata.name',
        message: `duplicates ${ref} already defined in ${previous}`,
      });
    } else {
      refs.set(ref, file);
    }
  });
  const known = new Set(refs.keys());
  for (const [index, { file, entity }] of sourced.entries()) {
    if (typeof entity.metadata?.name !== 'string') continue;
    const label = entityLabel(entity, documents[index]);
    const builtin =
      builtinValidators[String(entity.kind).toLocaleLowerCase('en-US')];
    if (builtin && entity.apiVersion === 'backstage.io/v1alpha1') {
      try {
        await builtin.check(entity);
      } catch (e) {
        problems.push({
          file,
          entity: label,
          field: '(schema)',
          message: String((e as Error).message),
        });
      }
    }
    for (const p of await checkDezkyReferences(
      entity,
      wanted => new Set(wanted.filter(r => known.has(r))),
    )) {
      problems.push({ file, entity: label, ...p });
    }
  }
  return problems;
}

/** Formats a problem as `file: kind/name: field: message`. */
export function formatCatalogProblem(p: CatalogProblem): string {
  return `${p.file}: ${p.entity}: ${p.field}: ${p.message}`;
}
