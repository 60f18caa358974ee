export interface Config {
  auth?: {
    /** The Dezky sign-in module's own settings (docs/operations.md). */
    dezky?: {
      /**
       * Allow the OIDC metadata URL (AUTH_OIDC_METADATA_URL) over plain http
       * in production. Off by default: production refuses an http metadata
       * URL, since the IdP's keys and endpoints would then be read unprotected.
       * Set it only when the IdP is reachable over http on a trusted network
       * (e.g. a sidecar on the same host).
       */
      allowHttpMetadataUrl?: boolean;
    };
  };
}
