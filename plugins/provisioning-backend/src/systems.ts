import { Config } from '@backstage/config';
import { ProvisioningStep } from '@internal/plugin-provisioning-common';
import { AuthentikClient } from './clients/AuthentikClient';
import { OcisClient, OcisTokenSource } from './clients/OcisClient';
import {
  StalwartClient,
  stalwartAuthorization,
} from './clients/StalwartClient';
import {
  DEFAULT_LIMITS,
  SystemError,
  SystemHttp,
  SystemLimiter,
  SystemLimits,
} from './clients/SystemHttp';
import { ProvisioningStore } from './database/ProvisioningStore';
import { AuthentikStep } from './steps/authentikStep';
import { OcisStep } from './steps/ocisStep';
import { StalwartStep } from './steps/stalwartStep';
import { StepDriver } from './steps/types';

/** The limits of one system from its config block. */
export function readLimits(config?: Config): SystemLimits {
  const rate = config?.getOptionalNumber('requestsPerSecond');
  return {
    timeoutMs:
      config?.getOptionalNumber('timeoutMs') ?? DEFAULT_LIMITS.timeoutMs,
    concurrency:
      config?.getOptionalNumber('concurrency') ?? DEFAULT_LIMITS.concurrency,
    ...(rate ? { requestsPerSecond: rate } : {}),
    maxRetryAfterWaitMs:
      config?.getOptionalNumber('maxRetryAfterWaitMs') ??
      DEFAULT_LIMITS.maxRetryAfterWaitMs,
  };
}

/** A system left unconfigured: its step fails with what to set (nothing is called). */
class UnconfiguredStep implements StepDriver {
  constructor(
    readonly step: ProvisioningStep,
    private readonly missing: string,
  ) {}
  private fail(): never {
    throw new SystemError(
      this.step,
      'configure',
      `not configured: set ${this.missing} (docs/provisioning.md#configuration)`,
    );
  }
  async converge(): Promise<never> {
    return this.fail();
  }
  async drift() {
    return [];
  }
  async teardownMembers(): Promise<never> {
    return this.fail();
  }
  async teardownResources(): Promise<never> {
    return this.fail();
  }
}

/** The systems' HTTP gates, for counting calls (benchmarks). */
export interface Systems {
  drivers: StepDriver[];
  http: SystemHttp[];
  /** The clients of the configured systems (the members API uses them). */
  clients: SystemClients;
}

/** The client of each configured system (absent: not configured). */
export interface SystemClients {
  authentik?: AuthentikClient;
  stalwart?: StalwartClient;
  ocis?: OcisClient;
}

/**
 * One driver per system from `provisioning.<system>`; a system whose
 * base URL or credentials are missing gets a driver that reports so.
 */
export function createSystems(
  config: Config,
  store: ProvisioningStore,
  fetchImpl: typeof fetch = fetch,
): Systems {
  const root = config.getOptionalConfig('provisioning');
  const http: SystemHttp[] = [];
  /** The limiter of each configured system's origin (scheme, host, port). */
  const limiters = new Map<string, SystemLimiter>();
  const origin = (url: string) => {
    try {
      return new URL(url).origin;
    } catch {
      return url;
    }
  };
  const gate = (step: ProvisioningStep, c: Config, baseUrl: string) => {
    const h = new SystemHttp(step, baseUrl, readLimits(c), fetchImpl);
    limiters.set(origin(baseUrl), h.limiter);
    http.push(h);
    return h;
  };
  const drivers: StepDriver[] = [];
  const clients: SystemClients = {};

  const a = root?.getOptionalConfig('authentik');
  const aUrl = a?.getOptionalString('baseUrl');
  const aToken = a?.getOptionalString('apiToken');
  drivers.push(
    a && aUrl && aToken
      ? new AuthentikStep(
          (clients.authentik = new AuthentikClient(
            gate('authentik', a, aUrl),
            aToken,
          )),
        )
      : new UnconfiguredStep(
          'authentik',
          'provisioning.authentik.baseUrl and apiToken',
        ),
  );

  const s = root?.getOptionalConfig('stalwart');
  const sUrl = s?.getOptionalString('baseUrl');
  const sKey = s?.getOptionalString('apiKey');
  const sUser = s?.getOptionalString('username');
  const sPass = s?.getOptionalString('password');
  drivers.push(
    s && sUrl && (sKey || (sUser && sPass))
      ? new StalwartStep(
          (clients.stalwart = new StalwartClient(
            gate('stalwart', s, sUrl),
            stalwartAuthorization({
              ...(sKey ? { apiKey: sKey } : {}),
              ...(sUser ? { username: sUser } : {}),
              ...(sPass ? { password: sPass } : {}),
            }),
          )),
        )
      : new UnconfiguredStep(
          'stalwart',
          'provisioning.stalwart.baseUrl and username/password (or apiKey)',
        ),
  );

  const o = root?.getOptionalConfig('ocis');
  const oUrl = o?.getOptionalString('baseUrl');
  const oAuth = o?.getOptionalConfig('auth');
  const tokenUrl = oAuth?.getOptionalString('tokenUrl');
  const clientId = oAuth?.getOptionalString('clientId');
  const refreshToken = oAuth?.getOptionalString('refreshToken');
  drivers.push(
    o && oUrl && tokenUrl && clientId && refreshToken
      ? new OcisStep(
          (clients.ocis = new OcisClient(
            gate('ocis', o, oUrl),
            new OcisTokenSource(
              // the token endpoint is usually Authentik's: its requests
              // then count against Authentik's concurrency and rate
              new SystemHttp(
                'ocis',
                tokenUrl,
                readLimits(o),
                fetchImpl,
                limiters.get(origin(tokenUrl)),
              ),
              store,
              {
                tokenUrl,
                clientId,
                refreshToken,
                scope:
                  oAuth?.getOptionalString('scope') ?? 'openid offline_access',
              },
            ),
          )),
        )
      : new UnconfiguredStep(
          'ocis',
          'provisioning.ocis.baseUrl and auth.tokenUrl, auth.clientId, auth.refreshToken',
        ),
  );
  return { drivers, http, clients };
}
