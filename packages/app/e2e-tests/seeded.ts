import { promises as fs } from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';

/* The expectations come from the seeded catalog/ files themselves. */
const catalogDir = path.resolve(__dirname, '../../../catalog');

export async function seeded(kind: string): Promise<any[]> {
  const dir = path.join(catalogDir, `${kind.toLowerCase()}s`);
  const out = [];
  for (const file of await fs.readdir(dir)) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    out.push(...parseAllDocuments(text).map(d => d.toJS()));
  }
  return out;
}
