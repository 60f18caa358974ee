/*
 * Validates every YAML document under the given folders (default: catalog/)
 * against the Dezky JSON schemas and Backstage's own kinds, and checks that
 * partner, integration and owner references resolve within the set.
 * Prints one line per problem: `file: kind/name: field: message`.
 * Exits 1 when there is any problem, 2 on bad usage.
 */
import { promises as fs } from 'fs';
import path from 'path';
import {
  CatalogProblem,
  SourcedEntity,
  formatCatalogProblem,
  parseCatalogFile,
  validateCatalogEntities,
} from '@internal/plugin-dezky-catalog-common';

async function yamlFiles(dir: string): Promise<string[]> {
  const stat = await fs.stat(dir);
  if (stat.isFile()) {
    return [dir];
  }
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push(...(await yamlFiles(full)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out.sort();
}

async function main(args: string[]) {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'usage: scripts/validate-catalog [folder-or-file ...]   (default: catalog/)\n',
    );
    return 0;
  }
  const roots = args.length ? args : ['catalog'];
  const entities: SourcedEntity[] = [];
  const problems: CatalogProblem[] = [];
  let files = 0;
  for (const root of roots) {
    let list: string[];
    try {
      list = await yamlFiles(root);
    } catch (e) {
      process.stderr.write(
        `validate-catalog: cannot read ${root}: ${(e as Error).message}\n`,
      );
      return 2;
    }
    for (const file of list) {
      files++;
      const parsed = parseCatalogFile(
        path.relative(process.cwd(), file),
        await fs.readFile(file, 'utf8'),
      );
      entities.push(...parsed.entities);
      problems.push(...parsed.problems);
    }
  }
  problems.push(...(await validateCatalogEntities(entities)));
  for (const p of problems) {
    process.stdout.write(`${formatCatalogProblem(p)}\n`);
  }
  process.stderr.write(
    `${files} files, ${entities.length} entities, ${problems.length} problem${
      problems.length === 1 ? '' : 's'
    }\n`,
  );
  return problems.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  e => {
    process.stderr.write(`validate-catalog: ${e?.stack ?? e}\n`);
    process.exit(2);
  },
);
