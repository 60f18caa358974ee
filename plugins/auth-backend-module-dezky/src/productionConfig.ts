import { Config } from '@backstage/config';

/** The development default of auth.session.secret in app-config.yaml. */
export const DEVELOPMENT_SESSION_SECRET = 'dezky-development-session-secret';

/** The development IdP's client secret (scripts/dev-idp, app-config.yaml). */
export const DEVELOPMENT_CLIENT_SECRET = 'dezky-dev-secret';

/** The shortest session secret production accepts. */
export const MIN_SESSION_SECRET_LENGTH = 32;

/** The config key that allows an OIDC metadata URL over plain http in production. */
export const ALLOW_HTTP_METADATA_URL_KEY = 'auth.dezky.allowHttpMetadataUrl';

/**
 * Production is `auth.environment: production` (app-config.production.yaml)
 * or a process started with NODE_ENV=production, whatever config it was given.
 */
export function isProduction(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return (
    config.getOptionalString('auth.environment') === 'production' ||
    env.NODE_ENV === 'production'
  );
}

/**
 * What production must not start with: each problem on one line, naming the
 * variable to set. Empty outside production, and when all is well.
 *
 * - `AUTH_SESSION_SECRET`: set, not the development default, at least 32
 *   characters;
 * - `AUTH_OIDC_METADATA_URL`, `AUTH_OIDC_CLIENT_ID`, `AUTH_OIDC_CLIENT_SECRET`:
 *   set (auth.providers.oidc.<auth.environment>);
 * - the metadata URL is https, unless auth.dezky.allowHttpMetadataUrl is true;
 * - the client secret is not the development IdP's.
 */
export function productionConfigProblems(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (!isProduction(config, env)) return [];
  const problems: string[] = [];

  const secret = config.getOptionalString('auth.session.secret');
  if (!secret) {
    problems.push(
      'auth.session.secret is not set: set AUTH_SESSION_SECRET to a long random string (e.g. openssl rand -hex 32)',
    );
  } else if (secret === DEVELOPMENT_SESSION_SECRET) {
    problems.push(
      'auth.session.secret is the development default (AUTH_SESSION_SECRET unset or set to it): set AUTH_SESSION_SECRET to a long random string (e.g. openssl rand -hex 32)',
    );
  } else if (secret.length < MIN_SESSION_SECRET_LENGTH) {
    problems.push(
      `auth.session.secret is ${secret.length} characters, production needs at least ${MIN_SESSION_SECRET_LENGTH}: set AUTH_SESSION_SECRET to a long random string (e.g. openssl rand -hex 32)`,
    );
  }

  const environment =
    config.getOptionalString('auth.environment') ?? 'development';
  const path = `auth.providers.oidc.${environment}`;
  const oidc = config.getOptionalConfig(path);
  const metadataUrl = oidc?.getOptionalString('metadataUrl');
  const clientId = oidc?.getOptionalString('clientId');
  const clientSecret = oidc?.getOptionalString('clientSecret');
  if (!metadataUrl) {
    problems.push(
      `${path}.metadataUrl is not set: set AUTH_OIDC_METADATA_URL to the IdP's https://…/.well-known/openid-configuration`,
    );
  } else {
    let protocol: string | undefined;
    try {
      protocol = new URL(metadataUrl).protocol;
    } catch {
      problems.push(
        `${path}.metadataUrl is not a URL (${metadataUrl}): set AUTH_OIDC_METADATA_URL to the IdP's https://…/.well-known/openid-configuration`,
      );
    }
    if (
      protocol === 'http:' &&
      !config.getOptionalBoolean(ALLOW_HTTP_METADATA_URL_KEY)
    ) {
      problems.push(
        `${path}.metadataUrl is plain http (${metadataUrl}): set AUTH_OIDC_METADATA_URL to the IdP's https:// URL, or set ${ALLOW_HTTP_METADATA_URL_KEY}: true if the IdP is only reachable over http on a trusted network`,
      );
    } else if (protocol && protocol !== 'http:' && protocol !== 'https:') {
      problems.push(
        `${path}.metadataUrl is not an http(s) URL (${metadataUrl}): set AUTH_OIDC_METADATA_URL to the IdP's https://…/.well-known/openid-configuration`,
      );
    }
  }
  if (!clientId) {
    problems.push(
      `${path}.clientId is not set: set AUTH_OIDC_CLIENT_ID to the IdP's client id for the portal`,
    );
  }
  if (!clientSecret) {
    problems.push(
      `${path}.clientSecret is not set: set AUTH_OIDC_CLIENT_SECRET to the IdP's client secret for the portal`,
    );
  } else if (clientSecret === DEVELOPMENT_CLIENT_SECRET) {
    problems.push(
      `${path}.clientSecret is the development IdP's (${DEVELOPMENT_CLIENT_SECRET}): set AUTH_OIDC_CLIENT_SECRET to the IdP's client secret for the portal`,
    );
  }
  return problems;
}

/**
 * Refuses to start production with what is only for development (see
 * {@link productionConfigProblems}); the error's message is one line listing
 * every problem, so all of them can be fixed at once.
 */
export function assertProductionConfig(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const problems = productionConfigProblems(config, env);
  if (problems.length) {
    throw new Error(
      `production configuration refused (docs/operations.md#production): ${problems.join(
        '; ',
      )}`,
    );
  }
}
