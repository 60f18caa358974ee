import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';

jest.setTimeout(60_000);

const script = path.resolve(__dirname, '../../../scripts/validate-catalog');
const repoRoot = path.resolve(__dirname, '../../..');

function run(...args: string[]) {
  const result = spawnSync(script, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 50_000,
  });
  if (result.error) {
    throw result.error;
  }
  return {
    status: result.status,
    stdoutLines: result.stdout.split('\n').filter(Boolean),
    stderr: result.stderr,
  };
}

async function countYamlFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory())
      n += await countYamlFiles(path.join(dir, entry.name));
    else if (/\.ya?ml$/.test(entry.name)) n++;
  }
  return n;
}

const BROKEN = `# Three problems, one per entity.
apiVersion: dezky.io/v1alpha1
kind: Partner
metadata: { name: greedy-it }
spec:
  owner: group:default/partner-nordlicht-it
  domain: greedy-it.example
  status: active
  marginPct: 140
  contact: { name: Greta, email: greta@greedy-it.example }
  billing: { company: Greedy IT GmbH, country: DE, email: billing@greedy-it.example, currency: EUR }
---
apiVersion: dezky.io/v1alpha1
kind: Tenant
metadata: { name: negative-seats }
spec:
  owner: group:default/partner-nordlicht-it
  partner: nordlicht-it
  plan: business
  seats: -1
  domains: [negative-seats.example]
  integrations: [authentik, stalwart]
---
apiVersion: dezky.io/v1alpha1
kind: Tenant
metadata: { name: orphan }
spec:
  owner: group:default/dezky-platform-admins
  partner: unknown-partner
  plan: starter
  seats: 3
  domains: [orphan.example]
`;

describe('scripts/validate-catalog', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dezky-validate-catalog-'));
    await fs.cp(path.join(repoRoot, 'catalog'), path.join(tmp, 'catalog'), {
      recursive: true,
    });
    await fs.writeFile(
      path.join(tmp, 'catalog', 'tenants', 'zz-broken.yaml'),
      BROKEN,
    );
  });

  afterAll(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('passes the seeded catalog: exit 0, no output, a summary of 0 problems', async () => {
    const { status, stdoutLines, stderr } = run('catalog');
    expect(stdoutLines).toEqual([]);
    const files = await countYamlFiles(path.join(repoRoot, 'catalog'));
    expect(stderr).toMatch(
      new RegExp(`^${files} files, \\d+ entities, 0 problems\\n$`),
    );
    expect(status).toBe(0);
  });

  it('validates catalog/ when given no argument', () => {
    const { status, stderr } = run();
    expect(stderr).toMatch(/ 0 problems\n$/);
    expect(status).toBe(0);
  });

  it('reports exactly the three problems of the extra file, one line each, and exits 1', async () => {
    const { status, stdoutLines, stderr } = run(path.join(tmp, 'catalog'));
    const file = path.relative(
      repoRoot,
      path.join(tmp, 'catalog', 'tenants', 'zz-broken.yaml'),
    );
    expect(stdoutLines).toEqual([
      `${file}: Partner/greedy-it: spec.marginPct: must be <= 100 (got 140)`,
      `${file}: Tenant/negative-seats: spec.seats: must be >= 0 (got -1)`,
      `${file}: Tenant/orphan: spec.partner: partner "unknown-partner" does not exist (looked for partner:default/unknown-partner)`,
    ]);
    // no line names any of the copied files
    for (const line of stdoutLines) {
      expect(line.startsWith(`${file}: `)).toBe(true);
    }
    const files = await countYamlFiles(path.join(tmp, 'catalog'));
    expect(stderr).toMatch(
      new RegExp(`^${files} files, \\d+ entities, 3 problems\\n$`),
    );
    expect(status).toBe(1);
  });

  it('exits 2 for a folder that does not exist, printing no problem lines', () => {
    const missing = path.join(tmp, 'no-such-folder');
    const { status, stdoutLines, stderr } = run(missing);
    expect(stdoutLines).toEqual([]);
    expect(stderr).toContain(`validate-catalog: cannot read ${missing}`);
    expect(status).toBe(2);
  });
});
