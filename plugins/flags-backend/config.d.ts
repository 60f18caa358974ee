export interface Config {
  /** Feature flags (docs/flags.md). */
  flags?: {
    /**
     * The environment the portal runs in, matched against a flag's
     * `scope.environments` (e.g. development, staging, production). Default:
     * development.
     */
    environment?: string;
  };
}
