import { promises as fs } from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';

/*
 * The e2e-only catalog entities of fixtures/*.yaml: the e2e backend loads
 * them next to the seeded catalog/ (playwright.config.ts), the development
 * and production configurations never do. Tests that count what the catalog
 * holds add them to seeded(kind).
 */
const fixturesDir = path.resolve(__dirname, 'fixtures');

export async function e2eOnly(kind: string): Promise<any[]> {
  const out = [];
  for (const file of (await fs.readdir(fixturesDir)).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const text = await fs.readFile(path.join(fixturesDir, file), 'utf8');
    out.push(...parseAllDocuments(text).map(d => d.toJS()));
  }
  return out.filter(e => e?.kind === kind);
}
