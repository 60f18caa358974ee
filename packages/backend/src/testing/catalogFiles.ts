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

/** The seeded catalog's people and kinds, as the end-to-end tests use them. */
export function seededCatalog() {
  const entities = seededEntities();
  const ofKind = (kind: string) => entities.filter(e => e.kind === kind);
  const users = ofKind('User');
  const memberOf = (u: Entity, group: string) =>
    ((u.spec as any).memberOf as string[]).includes(group);
  /** A group ref's name: `group:default/x` → `x`. */
  const groupName = (owner: string) => owner.replace(/^group:default\//, '');
  return {
    entities,
    users,
    partners: ofKind('Partner'),
    tenants: ofKind('Tenant'),
    integrations: ofKind('Integration'),
    operators: users.filter(u => memberOf(u, 'dezky-platform-admins')),
    email: (u: Entity) => (u.spec as any).profile.email as string,
    memberOf,
    groupName,
    /** The users of a partner's staff group (its spec.owner). */
    staffOf: (p: Entity) =>
      users.filter(u => memberOf(u, groupName(String(p.spec!.owner)))),
  };
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
export function pseudoRandom(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  return { next, pick };
}
