import { ConfigReader } from '@backstage/config';
import { readArchiveConfig } from './config';
import { startS3, TestS3 } from './__testUtils__/s3';

jest.setTimeout(60_000);

describe('ColdStorage on a local S3-compatible server (s3rver)', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.close();
  });

  it('puts, heads, gets, lists and deletes objects under its prefix', async () => {
    const storage = s3.storage({ prefix: 'cs/' });
    const keys = storage.keysFor(1, 100_000);
    expect(keys).toEqual({
      objectKey: 'cs/000000000001-000000100000.jsonl.gz',
      manifestKey: 'cs/000000000001-000000100000.manifest.json',
    });
    const body = Buffer.from([0, 1, 2, 255]);
    await storage.put(keys.objectKey, body, 'application/gzip', {
      sha256: 'abc',
    });
    await expect(storage.head(keys.objectKey)).resolves.toEqual({
      bytes: 4,
      sha256: 'abc',
    });
    await expect(storage.get(keys.objectKey)).resolves.toEqual(body);
    await expect(storage.list()).resolves.toEqual([keys.objectKey]);
    await expect(s3.storage({ prefix: 'other/' }).list()).resolves.toEqual([]);
    await storage.delete(keys.objectKey);
    await expect(storage.head(keys.objectKey)).resolves.toBeUndefined();
    await expect(storage.get(keys.objectKey)).resolves.toBeUndefined();
  });

  it('asks for server-side encryption when configured', async () => {
    const storage = s3.storage({
      prefix: 'sse/',
      serverSideEncryption: 'AES256',
    });
    const sent: unknown[] = [];
    (storage as any).client.middlewareStack.add(
      (next: any) => async (args: any) => {
        sent.push(args.input.ServerSideEncryption);
        return next(args);
      },
      { step: 'initialize' },
    );
    await storage.put('sse/x', Buffer.from('x'), 'text/plain');
    expect(sent).toEqual(['AES256']);
    await expect(storage.head('sse/x')).resolves.toMatchObject({ bytes: 1 });
  });

  it('fails on a bucket that does not exist', async () => {
    const storage = s3.storage({ bucket: 'no-such-bucket' });
    await expect(
      storage.put('audit/x', Buffer.from('x'), 'text/plain'),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

describe('readArchiveConfig', () => {
  it('applies the defaults', () => {
    expect(readArchiveConfig(new ConfigReader({}))).toEqual({
      enabled: false,
      hour: 3,
      retentionDays: 90,
      batchSize: 100_000,
      s3: undefined,
    });
    expect(
      readArchiveConfig(
        new ConfigReader({
          audit: { archive: { s3: { bucket: 'b', prefix: 'p' } } },
        }),
      ).s3,
    ).toEqual({
      bucket: 'b',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: undefined,
      secretAccessKey: undefined,
      prefix: 'p/',
      serverSideEncryption: undefined,
    });
  });

  it('treats an s3 block without a bucket as no S3 (unset environment variables)', () => {
    const settings = readArchiveConfig(
      new ConfigReader({ audit: { archive: { s3: { region: 'fsn1' } } } }),
    );
    expect(settings.s3).toBeUndefined();
    expect(() =>
      readArchiveConfig(
        new ConfigReader({
          audit: { archive: { enabled: true, s3: { region: 'fsn1' } } },
        }),
      ),
    ).toThrow('needs audit.archive.s3.bucket');
  });

  it.each([
    [{ enabled: true }, 'needs audit.archive.s3.bucket'],
    [{ hour: 24 }, 'hour must be a whole number from 0 to 23'],
    [{ retentionDays: 0 }, 'retentionDays'],
    [{ batchSize: 1.5 }, 'batchSize'],
    [{ s3: { bucket: 'b', serverSideEncryption: 'DES' } }, 'AES256 or aws:kms'],
  ])('refuses %j', (archive, message) => {
    expect(() =>
      readArchiveConfig(new ConfigReader({ audit: { archive } })),
    ).toThrow(message);
  });
});
