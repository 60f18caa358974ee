import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ColdStorage } from './ColdStorage';

/*
 * scripts/dev-s3, the S3-compatible server scripts/start runs for the cold
 * archive in development: the archive's own client (ColdStorage) reaches its
 * bucket with the settings scripts/start exports (AUDIT_ARCHIVE_*, read by
 * app-config.yaml), and it removes its objects when it stops.
 */

jest.setTimeout(60_000);

const script = path.join(
  resolvePackagePath('@internal/plugin-audit-backend'),
  '../../scripts/dev-s3/index.mjs',
);

describe('scripts/dev-s3', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('serves the dev bucket to the archive client, and removes its objects on exit', async () => {
    child = spawn(process.execPath, [script], {
      env: { ...process.env, DEV_S3_PORT: '0', NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      child!.stdout!.once('data', data => resolve(String(data)));
      child!.once('exit', code => reject(new Error(`dev-s3 exited ${code}`)));
    });
    const [, port, bucket, directory] =
      /listening on http:\/\/127\.0\.0\.1:(\d+), bucket (\S+) \(objects in (\S+), removed on exit\)/.exec(
        line,
      )!;
    expect(bucket).toBe('dezky-audit-dev');

    // what scripts/start exports for app-config.yaml's audit.archive.s3
    const storage = new ColdStorage({
      bucket,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      prefix: 'audit/',
    });
    try {
      await storage.put('audit/hello.txt', Buffer.from('hello'), 'text/plain', {
        sha256: 'x',
      });
      await expect(storage.head('audit/hello.txt')).resolves.toMatchObject({
        bytes: 5,
        sha256: 'x',
      });
      await expect(storage.get('audit/hello.txt')).resolves.toEqual(
        Buffer.from('hello'),
      );
    } finally {
      storage.destroy();
    }
    expect(existsSync(directory)).toBe(true);

    const exited = new Promise(resolve => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses to run in production', async () => {
    child = spawn(process.execPath, [script], {
      env: { ...process.env, DEV_S3_PORT: '0', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', d => {
      stderr += d;
    });
    const code = await new Promise(resolve => child!.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('refusing to run with NODE_ENV=production');
  });
});
