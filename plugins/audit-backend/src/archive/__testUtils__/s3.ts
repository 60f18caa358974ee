import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import S3rver from 's3rver';
import { ColdStorage, ColdStorageOptions } from '../ColdStorage';

/** s3rver's fixed credentials (it checks signatures). */
export const S3RVER_CREDENTIALS = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

/**
 * A real S3-compatible server (s3rver) on a free port with a fresh data
 * folder and bucket, for the archive tests; the archive reaches it through
 * the production client (ColdStorage, @aws-sdk/client-s3, path-style).
 */
export async function startS3(bucket = 'dezky-audit') {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'dezky-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const options: ColdStorageOptions = {
    bucket,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    prefix: 'audit/',
    ...S3RVER_CREDENTIALS,
  };
  const storages: ColdStorage[] = [];
  return {
    options,
    directory,
    /** A client on the bucket (closed with the server). */
    storage(overrides: Partial<ColdStorageOptions> = {}) {
      const storage = new ColdStorage({ ...options, ...overrides });
      storages.push(storage);
      return storage;
    },
    async close() {
      for (const s of storages) s.destroy();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

export type TestS3 = Awaited<ReturnType<typeof startS3>>;
