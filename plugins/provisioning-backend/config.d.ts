/** How one external system is called. */
interface SystemCallLimits {
  /** Per request (ms). Default 10000. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Requests started per second. Default: no limit. */
  requestsPerSecond?: number;
  /** A 429/503 with Retry-After is waited out while the total wait stays within this (ms). Default 30000. */
  maxRetryAfterWaitMs?: number;
}

export interface Config {
  /** Provisioning (docs/provisioning.md). */
  provisioning?: {
    /** How often the catalog is read for changed tenants (seconds). Default 5. */
    catalogSyncInterval?: number;
    /** How often each system is listed in bulk for drift (seconds). Default 600. */
    driftResyncInterval?: number;
    /** The tenant lifecycle (docs/provisioning.md#lifecycle). */
    lifecycle?: {
      /**
       * Between Terminate (or spec.status: cancelled) and the teardown:
       * a duration object ({ days: 30 }) or an ISO 8601 duration. Default 30 days.
       */
      gracePeriod?: { [unit: string]: number } | string;
      /** Whether partner staff may terminate their partner's tenants. Default false. */
      partnersMayTerminate?: boolean;
    };
    /** The DNS checks of tenants' mail domains (docs/provisioning.md#domains). */
    domains?: {
      /**
       * The resolvers asked, as IP addresses with an optional port
       * (`1.1.1.1`, `1.1.1.1:53`, `[2606:4700::1111]:53`); never the
       * machine's own resolver. Default ['1.1.1.1', '8.8.8.8']. Also a
       * comma-separated string (as an environment variable gives it).
       */
      resolvers?: string[] | string;
      /** Per query and server (ms). Default 2000. */
      timeoutMs?: number;
      /** Tries per query and server. Default 2. */
      tries?: number;
      /** Between checks of a domain with a record missing or different (seconds). Default 3600. */
      unverifiedInterval?: number;
      /** Between checks of a verified domain (seconds). Default 86400. */
      verifiedInterval?: number;
      /** Domains read from the queue at a time. Default 100. */
      batchSize?: number;
      /** Domains checked at once. Default 16. */
      concurrency?: number;
    };
    /** The work loop of each instance. */
    engine?: {
      /** Tenants worked at once. Default 16. */
      concurrency?: number;
      /** How long a claimed tenant is held without renewal (seconds). Default 120. */
      leaseSeconds?: number;
    };
    /** Authentik `/api/v3` (one group per tenant). */
    authentik?: SystemCallLimits & {
      /** e.g. https://auth.dezky.example (without /api/v3). */
      baseUrl?: string;
      /**
       * An API token (intent `api`) of a user allowed to manage groups.
       * @visibility secret
       */
      apiToken?: string;
    };
    /** Stalwart 0.16+ JMAP management (one domain per entry of spec.domains). */
    stalwart?: SystemCallLimits & {
      /** e.g. https://mail.dezky.example (the JMAP session is read at /jmap/session). */
      baseUrl?: string;
      /** Basic auth: an admin account (name or name@domain). */
      username?: string;
      /** @visibility secret */
      password?: string;
      /**
       * Or an API key (`API_…`), sent as Bearer.
       * @visibility secret
       */
      apiKey?: string;
    };
    /** OCIS libregraph (one project space per tenant). */
    ocis?: SystemCallLimits & {
      /** e.g. https://files.dezky.example (without /graph). */
      baseUrl?: string;
      /** The service user's tokens, from the issuer OCIS trusts (a refresh-token grant that rotates). */
      auth?: {
        /** The issuer's token endpoint, e.g. https://auth.dezky.example/application/o/token/. */
        tokenUrl?: string;
        /** The public OAuth client the service user signed in with. */
        clientId?: string;
        /**
         * The refresh token of the service user's sign-in; used until the database holds a newer one.
         * @visibility secret
         */
        refreshToken?: string;
        /** Default `openid offline_access`. */
        scope?: string;
      };
    };
  };
}
