import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  OAuthAuthenticator,
  OAuthAuthenticatorResult,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { OidcAuthResult } from '@backstage/plugin-auth-backend-module-oidc-provider';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';

type OidcResult = OAuthAuthenticatorResult<OidcAuthResult>;

/**
 * Marks the results of real sign-ins (the authorization code flow), so that
 * the resolver, which also runs on every session refresh, records a sign-in
 * only once.
 */
export function markingSignIns<TContext>(
  authenticator: OAuthAuthenticator<TContext, OidcAuthResult>,
): {
  authenticator: OAuthAuthenticator<TContext, OidcAuthResult>;
  isSignIn: (result: OidcResult) => boolean;
} {
  const signIns = new WeakSet<object>();
  return {
    authenticator: {
      ...authenticator,
      async authenticate(input, ctx) {
        const result = await authenticator.authenticate(input, ctx);
        signIns.add(result);
        return result;
      },
    },
    isSignIn: result => signIns.has(result),
  };
}

function refused(email: string | undefined, reason: string): AuditEventInput {
  return {
    at: new Date().toISOString(),
    actor: { type: 'external', email },
    action: 'portal.user.sign-in-refused',
    outcome: 'failure',
    source: 'portal',
    metadata: { provider: 'oidc', reason },
  };
}

/**
 * Signs in the catalog User whose `spec.profile.email` is the verified email
 * the identity provider reports. Roles follow from that user's groups in the
 * catalog (dezky-platform-admins: operator; a partner's staff group: partner
 * staff). Anyone else is refused with a message the sign-in page shows.
 *
 * Each sign-in is recorded in the audit trail (`portal.user.signed-in`) and
 * so is each refusal (`portal.user.sign-in-refused`), before the answer goes
 * back; session refreshes are not recorded.
 */
export function createDezkySignInResolver(options: {
  trail: AuditTrailService;
  isSignIn: (result: OidcResult) => boolean;
}): SignInResolver<OidcResult> {
  const { trail, isSignIn } = options;
  return async (info, ctx) => {
    const email = info.profile.email?.trim();
    if (!email) {
      const message =
        'Sign-in refused: the identity provider did not report a verified email address for this account.';
      await trail.record([refused(undefined, message)]);
      throw new NotAllowedError(message);
    }
    let userRef: string;
    try {
      const { entity } = await ctx.findCatalogUser({
        filter: { kind: 'User', 'spec.profile.email': email },
      });
      userRef = stringifyEntityRef(entity);
    } catch (error) {
      if ((error as Error)?.name === 'NotFoundError') {
        const message =
          `Sign-in refused: ${email} is not a user of the Dezky portal. ` +
          'Ask a platform operator to add you to catalog/org.yaml.';
        await trail.record([refused(email, message)]);
        throw new NotAllowedError(message);
      }
      throw error;
    }
    const result = await ctx.signInWithCatalogUser({ entityRef: userRef });
    if (isSignIn(info.result)) {
      await trail.record([
        {
          at: new Date().toISOString(),
          actor: { type: 'user', ref: userRef, email },
          action: 'portal.user.signed-in',
          outcome: 'success',
          resource: { type: 'user', ref: userRef },
          source: 'portal',
          metadata: { provider: 'oidc' },
        },
      ]);
    }
    return result;
  };
}
