import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { EntityRefLookup } from './DezkyEntitiesProcessor';

/** The kinds Dezky entities may refer to. */
const REFERENCED_KINDS = ['Partner', 'Integration', 'Group', 'User'];

/**
 * Looks up which refs exist in the catalog. One query fetches the refs of all
 * partners, integrations, groups and users; the answer is kept for `maxAgeMs`
 * so that processing thousands of tenants costs one query per interval, not
 * one per tenant. A ref created since is found on the next processing round.
 */
export class CatalogRefLookup implements EntityRefLookup {
  private known?: { refs: Set<string>; at: number };
  private pending?: Promise<Set<string>>;

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      maxAgeMs: number;
    },
  ) {}

  async existing(refs: string[]): Promise<Set<string>> {
    const known = await this.knownRefs();
    return new Set(refs.filter(r => known.has(r)));
  }

  private async knownRefs(): Promise<Set<string>> {
    if (this.known && Date.now() - this.known.at < this.options.maxAgeMs) {
      return this.known.refs;
    }
    if (!this.pending) {
      this.pending = this.fetch()
        .then(refs => {
          this.known = { refs, at: Date.now() };
          return refs;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }

  private async fetch(): Promise<Set<string>> {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: { kind: REFERENCED_KINDS },
        fields: ['kind', 'metadata.namespace', 'metadata.name'],
      },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    return new Set(items.map(e => stringifyEntityRef(e)));
  }
}
