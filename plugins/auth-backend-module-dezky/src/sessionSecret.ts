import { Config } from '@backstage/config';

/** The development default of auth.session.secret in app-config.yaml. */
export const DEVELOPMENT_SESSION_SECRET = 'dezky-development-session-secret';

/**
 * Refuses to start production with the development session secret (which
 * app-config.yaml supplies when AUTH_SESSION_SECRET is unset) or none.
 */
export function assertSessionSecret(config: Config): void {
  if (config.getOptionalString('auth.environment') !== 'production') return;
  const secret = config.getOptionalString('auth.session.secret');
  if (!secret || secret === DEVELOPMENT_SESSION_SECRET) {
    throw new Error(
      'auth.session.secret must be set for production: set AUTH_SESSION_SECRET to a long random string (docs/security.md)',
    );
  }
}
