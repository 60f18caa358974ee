export interface Config {
  audit?: {
    /**
     * Ed25519 keys for signed checkpoints. Without them, development uses an
     * ephemeral key; production refuses to start.
     */
    signing?: {
      /** The key that signs new checkpoints. */
      current: {
        /** Key id, written on each checkpoint and published in /api/audit/keys. */
        kid: string;
        /**
         * PKCS#8 PEM of the Ed25519 private key.
         * @visibility secret
         */
        privateKey: string;
      };
      /** Retired keys: public only, so their checkpoints stay verifiable. */
      previous?: Array<{
        kid: string;
        /** SPKI PEM of the Ed25519 public key. */
        publicKey: string;
      }>;
    };
    /**
     * The cold archive: events older than the hot retention move to an
     * S3-compatible bucket (MinIO, Hetzner Object Storage, AWS) as gzipped
     * JSON Lines with a manifest signed by the checkpoint key
     * (docs/audit.md#cold-archive).
     */
    archive?: {
      /** Archive daily on schedule (default false). "Run now" works regardless, given `s3`. */
      enabled?: boolean;
      /** UTC hour (0–23) from which the daily run starts (default 3). */
      hour?: number;
      /** Events older than this many days are archived (default 90). */
      retentionDays?: number;
      /** Events per archived object at most (default 100000). */
      batchSize?: number;
      /** The bucket. Without it nothing is archived. */
      s3?: {
        bucket: string;
        /** The S3 API endpoint, e.g. http://minio:9000 or https://fsn1.your-objectstorage.com; AWS when absent. */
        endpoint?: string;
        /** Default us-east-1. */
        region?: string;
        /** Path-style URLs (bucket in the path), default true: MinIO and Hetzner need it. */
        forcePathStyle?: boolean;
        /** Without keys the SDK's default credential chain is used. */
        accessKeyId?: string;
        /**
         * @visibility secret
         */
        secretAccessKey?: string;
        /** Key prefix of the objects (default `audit/`). */
        prefix?: string;
        /** Server-side encryption to ask for on upload; none by default (MinIO without a KMS rejects it). */
        serverSideEncryption?: 'AES256' | 'aws:kms';
      };
    };
    /** Events of external systems, read into the chain. Each part is optional. */
    ingest?: {
      /** Polls Authentik's event log every 60 s. */
      authentik?: {
        /** Authentik's base URL, e.g. https://auth.dezky.example. */
        baseUrl?: string;
        /**
         * An API token that may view events and users.
         * @visibility secret
         */
        token?: string;
        /** Events per request (default 100). */
        pageSize?: number;
        /** Requests per tick at most (default 10). */
        maxPages?: number;
      };
      /** Receives Stalwart's webhook at POST /api/audit/ingest/stalwart. */
      stalwart?: {
        /**
         * The webhook's `signature-key` in Stalwart (HMAC-SHA256, X-Signature).
         * @visibility secret
         */
        webhookSecret?: string;
      };
      /** Tails the OCIS audit service's JSON-lines file every 5 s. */
      ocis?: {
        /**
         * Path of the file, as OCIS is told to write it: AUDIT_LOG_TO_FILE=true,
         * AUDIT_FILEPATH, AUDIT_FORMAT=json.
         */
        file?: string;
      };
    };
    /** Verifying the chain: GET /api/audit/verify (docs/audit.md#verifying). */
    verify?: {
      /**
       * Worker threads that hash pages of the chain while the next pages are
       * read; 0 hashes in the thread that serves the request. Default: the
       * CPUs (os.availableParallelism()), at most 4.
       */
      workers?: number;
    };
    /** The transparency log (Merkle tree, RFC 9162) over the chain. */
    transparency?: {
      /**
       * The origin line of signed checkpoints (C2SP tlog-checkpoint) and the
       * name of the note key: no white space, no "+". Default:
       * `<backend.baseUrl host>/audit`.
       */
      origin?: string;
    };
  };
}
