import { NotAllowedError } from '@backstage/errors';
import {
  OAuthAuthenticatorResult,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { OidcAuthResult } from '@backstage/plugin-auth-backend-module-oidc-provider';

/**
 * Signs in the catalog User whose `spec.profile.email` is the verified email
 * the identity provider reports. Roles follow from that user's groups in the
 * catalog (dezky-platform-admins: operator; a partner's staff group: partner
 * staff). Anyone else is refused with a message the sign-in page shows.
 */
export const dezkyEmailSignInResolver: SignInResolver<
  OAuthAuthenticatorResult<OidcAuthResult>
> = async (info, ctx) => {
  const email = info.profile.email?.trim();
  if (!email) {
    throw new NotAllowedError(
      'Sign-in refused: the identity provider did not report a verified email address for this account.',
    );
  }
  try {
    return await ctx.signInWithCatalogUser({
      filter: { kind: 'User', 'spec.profile.email': email },
    });
  } catch (error) {
    if ((error as Error)?.name === 'NotFoundError') {
      throw new NotAllowedError(
        `Sign-in refused: ${email} is not a user of the Dezky portal. ` +
          'Ask a platform operator to add you to catalog/org.yaml.',
      );
    }
    throw error;
  }
};
