/* Test helper: the seeded catalog/, read straight from the YAML files. */
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import fs from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';

const catalogDir = path.resolve(__dirname, '../../../../catalog');

export function seededEntities(): Entity[] {
  const out: Entity[] = [];
  for (const dir of ['.', 'partners', 'tenants', 'integrations']) {
    for (const file of fs.readdirSync(path.join(catalogDir, dir))) {
      if (!file.endsWith('.yaml')) continue;
      const text = fs.readFileSync(path.join(catalogDir, dir, file), 'utf8');
      out.push(...parseAllDocuments(text).map(d => d.toJS() as Entity));
    }
  }
  return out;
}

export const refOf = (e: Entity) =>
  stringifyEntityRef(e).toLocaleLowerCase('en-US');
