import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { auditTrailServiceRef } from '@internal/plugin-audit-node';
import { createDezkySignInResolver, markingSignIns } from './signInResolver';
import { assertProductionConfig } from './productionConfig';

/**
 * The portal's sign-in: the `oidc` provider (Authentik in production, the
 * development IdP in scripts/dev-idp locally) with the Dezky email resolver.
 * Configured under auth.providers.oidc.<environment> (docs/security.md).
 * Sign-ins and refusals are recorded in the audit trail.
 */
export const authModuleDezkyOidc = createBackendModule({
  pluginId: 'auth',
  moduleId: 'dezky-oidc',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        trail: auditTrailServiceRef,
      },
      async init({ providers, config, trail }) {
        // production refuses development settings and missing secrets
        assertProductionConfig(config);
        const { authenticator, isSignIn } = markingSignIns(oidcAuthenticator);
        providers.registerProvider({
          providerId: 'oidc',
          factory: createOAuthProviderFactory({
            authenticator,
            signInResolver: createDezkySignInResolver({ trail, isSignIn }),
          }),
        });
      },
    });
  },
});
