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
  };
}
