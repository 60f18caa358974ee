import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  DEZKY_API_VERSION,
  DEZKY_KINDS,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  RELATION_RESELLS,
  RELATION_RESOLD_BY,
  RELATION_TENANT_DEPENDS_ON,
  checkDezkyReferences,
  dezkyEntityReferences,
  dezkyKindOf,
  formatEntityProblems,
  validateDezkyEntity,
} from '@internal/plugin-dezky-catalog-common';

/** Answers which of the given full entity refs exist in the catalog. */
export interface EntityRefLookup {
  existing(refs: string[]): Promise<Set<string>>;
}

/**
 * Validates the Dezky kinds (Partner, Tenant, Integration) against their JSON
 * schemas, checks that the partner, integrations and owner they name exist,
 * and emits their relations (owner and partner both ways, integrations one way).
 */
export class DezkyEntitiesProcessor implements CatalogProcessor {
  constructor(private readonly refs: EntityRefLookup) {}

  getProcessorName(): string {
    return 'DezkyEntitiesProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    if (entity.apiVersion !== DEZKY_API_VERSION) {
      return false;
    }
    if (!dezkyKindOf(entity)) {
      throw new InputError(
        `${entity.kind}/${
          entity.metadata?.name
        }: kind: must be one of ${DEZKY_KINDS.join(
          ', ',
        )} for ${DEZKY_API_VERSION}`,
      );
    }
    const problems = validateDezkyEntity(entity);
    if (problems.length) {
      throw new InputError(formatEntityProblems(entity, problems));
    }
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!dezkyKindOf(entity)) {
      return entity;
    }
    const problems = await checkDezkyReferences(entity, refs =>
      this.refs.existing(refs),
    );
    if (problems.length) {
      emit(
        processingResult.inputError(
          location,
          formatEntityProblems(entity, problems),
        ),
      );
      return entity;
    }

    const self = parseEntityRef(stringifyEntityRef(entity));
    const pair = (forward: string, targetRef: string, backward: string) => {
      const target = parseEntityRef(targetRef);
      emit(processingResult.relation({ source: self, type: forward, target }));
      emit(
        processingResult.relation({
          source: target,
          type: backward,
          target: self,
        }),
      );
    };
    for (const r of dezkyEntityReferences(entity)) {
      if (!r.targetRef) continue;
      if (r.field === 'spec.owner') {
        pair(RELATION_OWNED_BY, r.targetRef, RELATION_OWNER_OF);
      } else if (r.field === 'spec.partner') {
        pair(RELATION_RESOLD_BY, r.targetRef, RELATION_RESELLS);
      } else {
        // One way only: a `dependencyOf` back-relation would list every
        // tenant (of every partner) on the Integration entity, which partner
        // staff may read. Who uses an integration is a permission-filtered
        // query instead: kind=Tenant, relations.dependsOn=<integration>.
        emit(
          processingResult.relation({
            source: self,
            type: RELATION_TENANT_DEPENDS_ON,
            target: parseEntityRef(r.targetRef),
          }),
        );
      }
    }
    return entity;
  }
}
