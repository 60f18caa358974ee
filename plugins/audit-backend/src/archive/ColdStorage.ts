import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/** Where the archive lives: `audit.archive.s3`. */
export interface ColdStorageOptions {
  bucket: string;
  /** e.g. https://fsn1.your-objectstorage.com or http://minio:9000; AWS when absent. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Key prefix of every object, e.g. `audit/`. */
  prefix: string;
  /** Server-side encryption asked for on every upload; none when absent. */
  serverSideEncryption?: 'AES256' | 'aws:kms';
}

/** What a HEAD tells about an object. */
export interface ObjectHead {
  bytes: number;
  /** The `sha256` user metadata the archiver writes, if any. */
  sha256?: string;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/**
 * The bucket of the cold archive, through `@aws-sdk/client-s3`: path-style
 * by default (MinIO, Hetzner Object Storage and AWS all accept it), and
 * checksums only where S3 requires them (S3-compatible services differ on
 * the newer CRC headers; the archiver checks SHA-256 itself).
 */
export class ColdStorage {
  private readonly client: S3Client;

  constructor(readonly options: ColdStorageOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
            }
          : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** The object and manifest keys of a seq range: the same on every retry. */
  keysFor(fromSeq: number, toSeq: number) {
    const pad = (n: number) => String(n).padStart(12, '0');
    const base = `${this.options.prefix}${pad(fromSeq)}-${pad(toSeq)}`;
    return {
      objectKey: `${base}.jsonl.gz`,
      manifestKey: `${base}.manifest.json`,
    };
  }

  async put(
    key: string,
    body: Buffer,
    contentType: string,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: contentType,
        Metadata: metadata,
        ServerSideEncryption: this.options.serverSideEncryption,
      }),
    );
  }

  /** Size and metadata of an object; undefined when there is none. */
  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return {
        bytes: Number(head.ContentLength),
        sha256: head.Metadata?.sha256,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** An object's bytes; undefined when there is none. */
  async get(key: string): Promise<Buffer | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }),
    );
  }

  /** Every key under the prefix (for checks and tests). */
  async list(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.options.prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  destroy(): void {
    this.client.destroy();
  }
}
