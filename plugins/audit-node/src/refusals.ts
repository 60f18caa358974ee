import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { AuditActor } from '@internal/plugin-audit-common';
import { RefusalRecorder } from '@internal/plugin-dezky-node';
import { AuditTrailService } from './trail';

/**
 * The audit actor of a request's credentials: a user by entity ref, a
 * backend service or external caller by subject; `ip` when known.
 *
 * @public
 */
export function auditActorOf(
  credentials: BackstageCredentials,
  ip?: string,
): AuditActor {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  const at = ip ? { ip } : {};
  if (principal.type === 'user') {
    return { type: 'user', ref: principal.userEntityRef, ...at };
  }
  if (principal.type === 'service') {
    return { type: 'service', ref: principal.subject, ...at };
  }
  return { type: 'external', ...at };
}

/**
 * Records refused mutations in the audit chain, as the catalog's refusals
 * are: action = the permission refused (`flags.flag.manage`), outcome
 * `failure`, the actor, the request, and the tenant (or else the partner) it
 * concerned — so that partner's staff see attempts on its tenants. Rejects
 * when the event could not be stored.
 *
 * @public
 */
export function auditRefusals(
  trail: AuditTrailService,
  source = 'portal',
): RefusalRecorder {
  return async refusal => {
    await trail.record([
      {
        at: new Date().toISOString(),
        actor: auditActorOf(refusal.credentials, refusal.ip),
        action: refusal.permission.name,
        outcome: 'failure',
        ...(refusal.tenant ? { tenant: refusal.tenant.tenantRef } : {}),
        ...(refusal.tenant?.partnerRef ?? refusal.partnerRef
          ? { partner: refusal.tenant?.partnerRef ?? refusal.partnerRef }
          : {}),
        source,
        metadata: {
          request: refusal.request,
          error: {
            name: 'NotAllowedError',
            message: `Not allowed: ${refusal.permission.name}`,
          },
        },
      },
    ]);
  };
}
