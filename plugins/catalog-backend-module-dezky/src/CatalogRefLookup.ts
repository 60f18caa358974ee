import { Knex } from 'knex';
import { EntityRefLookup } from './DezkyEntitiesProcessor';

/**
 * Answers which refs the catalog knows, from the catalog's own
 * `refresh_state` table (this module shares the catalog plugin's database).
 * It holds every entity the catalog has read, processed yet or not, so a
 * tenant read in the same round as its partner finds it: the check does not
 * depend on processing order. Refs there are stored lower case.
 */
export class CatalogRefLookup implements EntityRefLookup {
  constructor(private readonly knex: Knex) {}

  async existing(refs: string[]): Promise<Set<string>> {
    const lowered = [...new Set(refs.map(r => r.toLocaleLowerCase('en-US')))];
    const rows = await this.knex('refresh_state')
      .whereIn('entity_ref', lowered)
      .select<{ entity_ref: string }[]>('entity_ref');
    const found = new Set(rows.map(r => r.entity_ref));
    return new Set(refs.filter(r => found.has(r.toLocaleLowerCase('en-US'))));
  }
}
