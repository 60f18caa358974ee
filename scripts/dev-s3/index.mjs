// @ts-check
/**
 * dev-s3: a local S3-compatible server for developing the Dezky portal, so
 * that the audit cold archive ("Run now" on the Audit page,
 * POST /api/audit/archive/run) works without a real bucket. DEVELOPMENT ONLY:
 * it is s3rver (the server the archive tests use), with its fixed credentials
 * S3RVER / S3RVER, listening on 127.0.0.1 only; it refuses to start when
 * NODE_ENV=production. Its objects live in a temporary folder, removed when
 * it stops — like the development database, which is in memory.
 *
 * Run: node scripts/dev-s3/index.mjs   (scripts/start does, unless a bucket
 * is configured). Prints one line `dev-s3 listening on http://127.0.0.1:<port>,
 * bucket <bucket>`. The backend reaches it through app-config.yaml's
 * audit.archive.s3, from the environment scripts/start exports:
 *   AUDIT_ARCHIVE_BUCKET=dezky-audit-dev  AUDIT_ARCHIVE_ENDPOINT=http://127.0.0.1:7011
 *   AUDIT_ARCHIVE_REGION=us-east-1  AUDIT_ARCHIVE_ACCESS_KEY=S3RVER  AUDIT_ARCHIVE_SECRET_KEY=S3RVER
 *
 * Environment:
 *   DEV_S3_PORT    port on 127.0.0.1 (default 7011; 0 = any free port)
 *   DEV_S3_BUCKET  the bucket it creates (default dezky-audit-dev)
 *
 * `node scripts/dev-s3/index.mjs --local-bucket` starts nothing: it exits 0
 * when app-config.local.yaml configures audit.archive.s3.bucket (a real or
 * own bucket; scripts/start then leaves the archive to it), 1 otherwise.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);

if (process.argv.includes('--local-bucket')) {
  process.exit(localBucket() ? 0 : 1);
}

if (process.env.NODE_ENV === 'production') {
  console.error('dev-s3: refusing to run with NODE_ENV=production');
  process.exit(1);
}

// s3rver is a devDependency of the audit backend (its archive tests' S3):
// resolve it as that package does
const requireFromAudit = createRequire(
  path.join(root, 'plugins/audit-backend/package.json'),
);
const S3rver = requireFromAudit('s3rver');

const port = Number(process.env.DEV_S3_PORT ?? 7011);
const bucket = process.env.DEV_S3_BUCKET || 'dezky-audit-dev';
const directory = mkdtempSync(path.join(os.tmpdir(), 'dezky-dev-s3-'));

const server = new S3rver({
  address: '127.0.0.1',
  port,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.close();
  } catch {
    // not running
  }
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  const address = await server.run();
  console.log(
    `dev-s3 listening on http://127.0.0.1:${address.port}, bucket ${bucket} (objects in ${directory}, removed on exit)`,
  );
} catch (error) {
  rmSync(directory, { recursive: true, force: true });
  console.error(
    `dev-s3: could not listen on 127.0.0.1:${port}: ${
      error instanceof Error ? error.message : error
    }`,
  );
  process.exit(1);
}

/** Whether app-config.local.yaml sets audit.archive.s3.bucket. */
function localBucket() {
  let text;
  try {
    text = readFileSync(path.join(root, 'app-config.local.yaml'), 'utf8');
  } catch {
    return false;
  }
  return parseAllDocuments(text).some(doc => {
    const config = doc.toJS();
    return Boolean(config?.audit?.archive?.s3?.bucket);
  });
}
