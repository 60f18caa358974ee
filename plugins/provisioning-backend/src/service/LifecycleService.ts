import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { auditActorOf, AuditTrailService } from '@internal/plugin-audit-node';
import {
  effectiveStatus,
  LifecycleActionResult,
  TenantHold,
} from '@internal/plugin-provisioning-common';
import { ProvisioningStore } from '../database/ProvisioningStore';
import { LifecycleState } from '../engine/lifecycle';
import { ProvisioningEngine } from '../engine/ProvisioningEngine';
import { ProvisioningScope, ProvisioningService } from './ProvisioningService';

/** A portal action on a tenant's lifecycle. */
export type LifecycleAction = 'suspend' | 'resume' | 'terminate';

/** Whether the caller may take the actions on one tenant (the policy's decision for it). */
export interface LifecycleRights {
  suspend(t: { tenantRef: string; partnerRef?: string }): boolean;
  terminate(t: { tenantRef: string; partnerRef?: string }): boolean;
}

export interface LifecycleRequest {
  action: LifecycleAction;
  name: string;
  /**
   * The body (`reason`, `confirm`), parsed once the caller is known to be
   * allowed (authorization comes before validation); throws a 400.
   */
  body(): { reason?: string; confirm?: string };
  credentials: BackstageCredentials;
  ip?: string;
  readScope: ProvisioningScope;
  rights: LifecycleRights;
}

/** Why an action was refused: 403, 400 or 409. */
export type LifecycleRefusal = {
  kind: 'forbidden' | 'invalid' | 'conflict';
  message: string;
};

export type LifecycleOutcome =
  | { result: LifecycleActionResult }
  | { refusal: LifecycleRefusal }
  | undefined;

const forbidden = (permission: string): LifecycleRefusal => ({
  kind: 'forbidden',
  message: `Not allowed: ${permission}`,
});
const conflict = (message: string): LifecycleRefusal => ({
  kind: 'conflict',
  message,
});

/**
 * Suspend, Resume and Terminate from the portal: each sets or lifts the
 * tenant's hold (in one transaction with its lifecycle events), queues the
 * tenant so the effects follow, and is audited with its reason — refused
 * ones too.
 */
export class LifecycleService {
  constructor(
    private readonly deps: {
      store: ProvisioningStore;
      engine: Pick<ProvisioningEngine, 'kick'>;
      provisioning: ProvisioningService;
      trail: AuditTrailService;
      /** How people know a user (their email), by entity ref. */
      userName(userRef: string): Promise<string>;
      now?: () => number;
    },
  ) {}

  /** Undefined: no such tenant in the caller's scope (404). */
  async act(req: LifecycleRequest): Promise<LifecycleOutcome> {
    const { store, provisioning } = this.deps;
    const tenant = await provisioning.find(req.name, req.readScope);
    if (!tenant) return undefined;
    const target = {
      tenantRef: tenant.tenantRef,
      ...(tenant.partnerRef ? { partnerRef: tenant.partnerRef } : {}),
    };
    const now = new Date((this.deps.now ?? Date.now)()).toISOString();
    const principal = req.credentials.principal as { userEntityRef?: string };
    const by = principal.userEntityRef ?? 'plugin:unknown';
    let refusal: LifecycleRefusal | undefined;
    let body: { reason?: string; confirm?: string } = {};
    if (req.action === 'suspend' && !req.rights.suspend(target)) {
      refusal = forbidden('provisioning.tenant.suspend');
    } else if (req.action === 'terminate' && !req.rights.terminate(target)) {
      refusal = forbidden('provisioning.tenant.terminate');
    } else {
      try {
        body = req.body();
      } catch (error) {
        refusal = {
          kind: 'invalid',
          message: error instanceof Error ? error.message : String(error),
        };
      }
      if (
        !refusal &&
        req.action === 'terminate' &&
        body.confirm !== tenant.name
      ) {
        refusal = {
          kind: 'invalid',
          message: `confirm: must be the tenant's name, ${tenant.name}`,
        };
      }
    }
    let hold: TenantHold | undefined;
    if (!refusal && req.action !== 'resume') {
      hold = {
        kind: req.action === 'suspend' ? 'suspended' : 'terminating',
        reason: body.reason ?? '',
        by,
        byName: principal.userEntityRef
          ? await this.deps.userName(principal.userEntityRef)
          : by,
        at: now,
      };
    }
    let before: LifecycleState | undefined;
    let after: LifecycleState | undefined;
    if (!refusal) {
      const outcome = await store.updateHold(
        tenant.tenantRef,
        state => {
          before = state;
          const why = this.refusal(req, state, target);
          return why ? { refused: why } : { hold: hold ?? null };
        },
        now,
      );
      if (!outcome) return undefined;
      if ('refused' in outcome) refusal = outcome.refused;
      else after = outcome.state;
    }
    await this.audit(req, body.reason, tenant, now, refusal, before, after);
    if (refusal) return { refusal };
    this.deps.engine.kick();
    const detail = await provisioning.detailByRef(tenant.tenantRef);
    return detail ? { result: { tenant: detail } } : undefined;
  }

  /** Why the action cannot be taken in the tenant's current lifecycle (undefined: it can). */
  private refusal(
    req: LifecycleRequest,
    state: LifecycleState,
    target: { tenantRef: string; partnerRef?: string },
  ): LifecycleRefusal | undefined {
    const { status } = effectiveStatus(state);
    if (status === 'terminated') {
      return conflict('the tenant is terminated: nothing can change it');
    }
    const held = state.hold
      ? `${
          state.hold.kind === 'suspended' ? 'suspended' : 'terminated'
        } in the portal by ${state.hold.byName} on ${state.hold.at.slice(
          0,
          10,
        )}`
      : undefined;
    switch (req.action) {
      case 'suspend':
        if (state.hold) return conflict(`already ${held}`);
        if (state.gitStatus === 'cancelled') {
          return conflict(
            'the tenant is being terminated (spec.status: cancelled in git)',
          );
        }
        return undefined;
      case 'terminate':
        if (state.hold?.kind === 'terminating') {
          return conflict(`already ${held}`);
        }
        if (state.gitStatus === 'cancelled') {
          return conflict(
            'the tenant is already being terminated (spec.status: cancelled in git)',
          );
        }
        return undefined;
      default:
        if (
          state.hold?.kind === 'terminating' &&
          !req.rights.terminate(target)
        ) {
          return forbidden('provisioning.tenant.terminate');
        }
        if (state.hold) return undefined;
        if (state.gitStatus === 'suspended') {
          return conflict(
            'suspended in git: set spec.status to active in the tenant YAML to resume it',
          );
        }
        if (state.gitStatus === 'cancelled') {
          return conflict(
            'cancelled in git: remove spec.status: cancelled from the tenant YAML to stop the termination',
          );
        }
        return conflict('the tenant is not suspended');
    }
  }

  private async audit(
    req: LifecycleRequest,
    reason: string | undefined,
    tenant: { tenantRef: string; partnerRef?: string; name: string },
    at: string,
    refusal: LifecycleRefusal | undefined,
    before: LifecycleState | undefined,
    after: LifecycleState | undefined,
  ) {
    await this.deps.trail.record([
      {
        at,
        actor: auditActorOf(req.credentials, req.ip),
        action: `provisioning.tenant.${req.action}`,
        outcome: refusal ? 'failure' : 'success',
        resource: { type: 'tenant', ref: tenant.tenantRef, name: tenant.name },
        tenant: tenant.tenantRef,
        ...(tenant.partnerRef ? { partner: tenant.partnerRef } : {}),
        source: 'portal',
        metadata: {
          ...(reason !== undefined ? { reason } : {}),
          ...(before ? { statusBefore: effectiveStatus(before).status } : {}),
          ...(after ? { statusAfter: effectiveStatus(after).status } : {}),
          ...(after?.graceUntil ? { graceEndsAt: after.graceUntil } : {}),
          ...(refusal
            ? { refused: { kind: refusal.kind, message: refusal.message } }
            : {}),
        },
      },
    ]);
  }
}
