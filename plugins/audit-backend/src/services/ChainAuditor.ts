import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuditorServiceEvent,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { AuditActor } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { Request } from 'express';

/** The caller of a request, as an audit actor; `system` when there is none. */
async function actorOf(
  httpAuth: HttpAuthService,
  pluginId: string,
  request?: Request<any, any, any, any, any>,
): Promise<AuditActor> {
  if (!request) return { type: 'system', ref: `plugin:${pluginId}` };
  const ip = request.ip || request.socket?.remoteAddress || undefined;
  let credentials: BackstageCredentials | undefined;
  try {
    credentials = await httpAuth.credentials(request);
  } catch {
    // unauthenticated or invalid token: still audited, as an external caller
    return { type: 'external', ip };
  }
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (p.type === 'user') return { type: 'user', ref: p.userEntityRef, ip };
  if (p.type === 'service') return { type: 'service', ref: p.subject, ip };
  return { type: 'external', ip };
}

/**
 * Backstage's auditor, landing events in the audit chain: every plugin's
 * `coreServices.auditor` events of severity medium and above (the catalog's
 * entity and location mutations among them) become chain events
 * `<pluginId>.<eventId>[.<actionType|queryType>]`. `success()` and `fail()`
 * resolve once the event is stored, so a mutation's event is committed
 * before its response; a failure to store is logged as an error and thrown
 * to the caller. Low-severity events (reads) are logged only, as Backstage's
 * default auditor does.
 */
export class ChainAuditor implements AuditorService {
  constructor(
    private readonly deps: {
      pluginId: string;
      trail: AuditTrailService;
      httpAuth: HttpAuthService;
      logger: LoggerService;
    },
  ) {}

  async createEvent(
    options: AuditorServiceCreateEventOptions,
  ): Promise<AuditorServiceEvent> {
    const { pluginId, trail, httpAuth, logger } = this.deps;
    const severity = options.severityLevel ?? 'low';
    const actor = await actorOf(httpAuth, pluginId, options.request);
    const meta = options.meta ?? {};
    const variant = meta.actionType ?? meta.queryType;
    const action = [pluginId, options.eventId, variant]
      .filter(v => typeof v === 'string' && v)
      .join('.');

    const finish = async (
      outcome: 'success' | 'failure',
      extra?: Record<string, unknown>,
    ) => {
      const metadata = { ...meta, ...extra, severity };
      if (severity === 'low') {
        logger.debug(`audit ${action} ${outcome}`, {
          actor: actor.ref ?? actor.type,
        });
        return;
      }
      const entityRef =
        typeof meta.entityRef === 'string' ? meta.entityRef : undefined;
      try {
        await trail.record([
          {
            at: new Date().toISOString(),
            actor,
            action,
            outcome,
            resource: entityRef
              ? { type: 'entity', ref: entityRef }
              : undefined,
            source: pluginId === 'catalog' ? 'catalog' : 'portal',
            metadata,
          },
        ]);
      } catch (error) {
        logger.error(
          `AUDIT EVENT NOT RECORDED: ${action} (${outcome}) by ${
            actor.ref ?? actor.type
          }: ${error}`,
        );
        throw error;
      }
    };

    return {
      success: async o => finish('success', o?.meta),
      fail: async o =>
        finish('failure', {
          ...o.meta,
          error: { name: o.error.name, message: o.error.message },
        }),
    };
  }
}
