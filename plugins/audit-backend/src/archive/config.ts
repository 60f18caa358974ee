import { Config } from '@backstage/config';
import { ColdStorageOptions } from './ColdStorage';

/** `audit.archive`, with defaults applied (see config.d.ts). */
export interface ArchiveSettings {
  /** Run on the schedule (the operator's "Run now" works regardless). */
  enabled: boolean;
  /** UTC hour of the daily run, 0–23. */
  hour: number;
  /** Events older than this many days are archived. */
  retentionDays: number;
  /** Events per batch (object) at most. */
  batchSize: number;
  /** The bucket; absent when not configured (nothing can be archived). */
  s3?: ColdStorageOptions;
}

function integer(
  config: Config | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `audit.archive.${key} must be a whole number from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/** Reads `audit.archive` from the root config. */
export function readArchiveConfig(root: Config): ArchiveSettings {
  const config = root.getOptionalConfig('audit.archive');
  // without a bucket there is no S3 to talk to (e.g. the production config's
  // ${AUDIT_ARCHIVE_BUCKET} left unset): as if s3 were not configured
  const s3Config = config?.getOptionalConfig('s3');
  const s3 = s3Config?.has('bucket') ? s3Config : undefined;
  const sse = s3?.getOptionalString('serverSideEncryption');
  if (sse !== undefined && sse !== 'AES256' && sse !== 'aws:kms') {
    throw new Error(
      `audit.archive.s3.serverSideEncryption must be AES256 or aws:kms, got ${sse}`,
    );
  }
  let prefix = s3?.getOptionalString('prefix') ?? 'audit/';
  if (prefix && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const settings: ArchiveSettings = {
    enabled: config?.getOptionalBoolean('enabled') ?? false,
    hour: integer(config, 'hour', 3, 0, 23),
    retentionDays: integer(config, 'retentionDays', 90, 1, 36_500),
    batchSize: integer(config, 'batchSize', 100_000, 1, 10_000_000),
    s3: s3 && {
      bucket: s3.getString('bucket'),
      endpoint: s3.getOptionalString('endpoint'),
      region: s3.getOptionalString('region') ?? 'us-east-1',
      forcePathStyle: s3.getOptionalBoolean('forcePathStyle') ?? true,
      accessKeyId: s3.getOptionalString('accessKeyId'),
      secretAccessKey: s3.getOptionalString('secretAccessKey'),
      prefix,
      serverSideEncryption: sse,
    },
  };
  if (settings.enabled && !settings.s3) {
    throw new Error('audit.archive.enabled needs audit.archive.s3.bucket');
  }
  return settings;
}
