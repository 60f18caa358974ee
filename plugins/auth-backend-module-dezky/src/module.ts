import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { dezkyEmailSignInResolver } from './signInResolver';
import { assertSessionSecret } from './sessionSecret';

/**
 * The portal's sign-in: the `oidc` provider (Authentik in production, the
 * development IdP in scripts/dev-idp locally) with the Dezky email resolver.
 * Configured under auth.providers.oidc.<environment> (docs/security.md).
 */
export const authModuleDezkyOidc = createBackendModule({
  pluginId: 'auth',
  moduleId: 'dezky-oidc',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ providers, config }) {
        assertSessionSecret(config);
        providers.registerProvider({
          providerId: 'oidc',
          factory: createOAuthProviderFactory({
            authenticator: oidcAuthenticator,
            signInResolver: dezkyEmailSignInResolver,
          }),
        });
      },
    });
  },
});
