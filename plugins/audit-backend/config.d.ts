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
  };
}
