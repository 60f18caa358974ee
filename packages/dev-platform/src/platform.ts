/*
 * startDevPlatform: one HTTP server per stand-in plus the control endpoint,
 * the call log, latency and fault injection.
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { AuthentikStandIn } from './authentik';
import { startControlServer } from './control';
import { DnsStandIn } from './dns';
import { SystemFault, validateFault } from './faults';
import { listen, StandIn, StandInResponse } from './http';
import { OcisStandIn } from './ocis';
import { StalwartStandIn } from './stalwart';
import { StripeStandIn } from './stripe';
import {
  DEV_PLATFORM_CREDENTIALS,
  DEV_SYSTEMS,
  DevCall,
  DevDnsControl,
  DevFault,
  DevPlatform,
  DevPlatformOptions,
  DevPlatformSettings,
  DevPlatformState,
  DevStripeControl,
  DevSystem,
} from './types';

/** The longest first retry delay of webhook deliveries (one hour). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Requests larger than this are cut off (Stalwart's own limit is 10 MB). */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('aborted', () => resolve(undefined));
  });
}

/** The HTTP server of one stand-in: calls, faults, latency; down closes the listener. */
class SystemServer {
  readonly server: http.Server;
  readonly fault = new SystemFault();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private isDown = false;
  /** The re-listen in progress after a "down" fault was lifted. */
  pending: Promise<unknown> = Promise.resolve();
  port = 0;

  constructor(
    readonly system: DevSystem,
    readonly standIn: StandIn,
    private readonly host: string,
    private readonly latencyMs: number,
    private readonly log: DevCall[],
  ) {
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch(err => {
        process.stderr.write(`dev-platform ${system}: ${String(err)}\n`);
        if (!res.headersSent) res.destroy();
      });
    });
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return formatUrl(this.host, this.port);
  }

  async start(port: number) {
    this.port = await listen(this.server, port, this.host);
  }

  setDown(down: boolean) {
    if (down && !this.isDown) {
      this.isDown = true;
      // the fd is closed at once: new connections are refused from here on
      this.server.close();
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    } else if (!down && this.isDown) {
      this.isDown = false;
      this.pending = listen(this.server, this.port, this.host).catch(err => {
        process.stderr.write(
          `dev-platform ${this.system}: cannot listen again on ${
            this.port
          }: ${String(err)}\n`,
        );
      });
    }
  }

  async stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.standIn.stop();
    await this.pending;
    if (this.server.listening) {
      const closed = new Promise<void>(resolve =>
        this.server.close(() => resolve()),
      );
      for (const socket of this.sockets) socket.destroy();
      await closed;
    }
  }

  clearTimers() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse) {
    const call: DevCall = {
      system: this.system,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      at: new Date().toISOString(),
    };
    this.log.push(call);
    const decision = this.fault.decide(Date.now(), call.path.split('?')[0]);
    const delay = this.latencyMs + this.fault.slowMs;
    const body = await readBody(req);
    if (body === undefined) return;

    let response: StandInResponse;
    try {
      if (decision?.kind === 'tooManyRequests') {
        response = this.standIn.tooManyRequests(decision.retryAfterSeconds);
      } else if (decision?.kind === 'serverError') {
        response = this.standIn.serverError();
      } else {
        const url = new URL(req.url ?? '/', 'http://stand-in');
        response = await this.standIn.handle({
          method: call.method,
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          baseUrl: this.url,
        });
      }
    } catch (err) {
      process.stderr.write(
        `dev-platform ${this.system}: ${(err as Error).stack ?? String(err)}\n`,
      );
      response = this.standIn.serverError();
    }
    call.status = response.status;

    const hooks = response.afterSend ?? [];
    if (hooks.length > 0) {
      res.once('close', () => {
        for (const hook of hooks) hook();
      });
    }
    const write = () => {
      if (res.destroyed || res.writableEnded) return;
      res.statusCode = response.status;
      for (const [name, value] of Object.entries(response.headers ?? {})) {
        res.setHeader(name, value);
      }
      if (response.body !== undefined) {
        res.setHeader('content-length', Buffer.byteLength(response.body));
        res.end(response.body);
      } else {
        if (response.status !== 204 && response.status !== 304)
          res.setHeader('content-length', 0);
        res.end();
      }
    };
    if (delay > 0) {
      // a timer per answer: slow answers never hold up other requests
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        write();
      }, delay);
      this.timers.add(timer);
    } else {
      write();
    }
  }
}

export async function startDevPlatform(
  options: DevPlatformOptions = {},
): Promise<DevPlatform> {
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const settings: DevPlatformSettings = {
    authentikRecoveryFlow: options.authentikRecoveryFlow ?? true,
  };
  for (const [name, value] of [
    ['latencyMs', options.latencyMs],
    ['dkimDelayMs', options.dkimDelayMs],
    ['accessTokenTtlSeconds', options.accessTokenTtlSeconds],
  ] as const) {
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isInteger(value) && value >= 0)
    ) {
      throw new Error(`${name} must be a non-negative integer, got ${value}`);
    }
  }

  const authentik = new AuthentikStandIn({
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 300,
    recoveryFlow: () => settings.authentikRecoveryFlow,
  });
  const stalwart = new StalwartStandIn({
    dkimDelayMs: options.dkimDelayMs ?? 1000,
  });
  const ocis = new OcisStandIn({
    validateAccessToken: token => authentik.validateAccessToken(token),
  });
  const stripe = new StripeStandIn({
    frozenClock: options.stripeFrozenClock ?? false,
  });
  const standIns: Record<DevSystem, StandIn> = {
    authentik,
    stalwart,
    ocis,
    stripe,
  };

  const log: DevCall[] = [];
  const servers = {} as Record<DevSystem, SystemServer>;
  const dns = new DnsStandIn();
  try {
    await dns.start(options.ports?.dns ?? 0, host);
    for (const system of DEV_SYSTEMS) {
      const server = new SystemServer(
        system,
        standIns[system],
        host,
        latencyMs,
        log,
      );
      servers[system] = server;
      await server.start(options.ports?.[system] ?? 0);
    }
  } catch (err) {
    for (const server of Object.values(servers)) await server.stop();
    await dns.stop();
    throw err;
  }
  ocis.baseUrl = servers.ocis.url;
  stripe.baseUrl = servers.stripe.url;

  const stopAll = async () => {
    for (const server of Object.values(servers)) await server.stop();
    await dns.stop();
  };
  const dnsControl: DevDnsControl = {
    publish: record => dns.publish(record),
    remove: filter => dns.remove(filter),
    records: () => dns.list(),
  };

  const stripeControl: DevStripeControl = {
    now: () => stripe.now(),
    advanceClock: seconds => stripe.advanceClock(seconds),
    setWebhook: config => {
      const retry = config?.retryAfterMs;
      if (
        retry !== undefined &&
        !(Number.isInteger(retry) && retry >= 1 && retry <= MAX_RETRY_AFTER_MS)
      ) {
        throw new Error(
          `"retryAfterMs" must be a whole number of milliseconds 1-${MAX_RETRY_AFTER_MS}, got ${retry}`,
        );
      }
      stripe.webhooks.configure(
        config && {
          url: config.url,
          secret:
            config.secret ?? DEV_PLATFORM_CREDENTIALS.stripe.webhookSecret,
          autoDeliver: config.autoDeliver ?? true,
          retryAfterMs: retry,
        },
      );
    },
    webhook: () => stripe.webhooks.current(),
    flushWebhooks: () => stripe.webhooks.flush(),
    deliverWebhooks: ids => stripe.webhooks.deliver(ids),
    failInvoicePayment: id => stripe.failInvoicePayment(id),
    payInvoice: id => stripe.payInvoice(id),
  };

  const initialWebhook = options.stripeWebhook;
  if (initialWebhook) {
    if (!/^https?:\/\//.test(initialWebhook.url)) {
      await stopAll();
      throw new Error(
        `stripeWebhook.url must be an http(s) URL, got ${initialWebhook.url}`,
      );
    }
    try {
      stripeControl.setWebhook(initialWebhook);
    } catch (err) {
      await stopAll();
      throw err;
    }
  }

  const setFault = (system: DevSystem, fault: DevFault) => {
    const server = servers[system];
    if (!server) throw new Error(`unknown system "${system}"`);
    const valid = validateFault(fault);
    server.fault.set(valid);
    server.setDown(valid.down === true);
  };

  const clearFaults = (system?: DevSystem) => {
    if (system !== undefined && !servers[system]) {
      throw new Error(`unknown system "${system}"`);
    }
    for (const s of system ? [system] : DEV_SYSTEMS) {
      servers[s].fault.clear();
      servers[s].setDown(false);
    }
  };

  const state = (): DevPlatformState => ({
    authentik: authentik.state(),
    stalwart: stalwart.state(),
    ocis: ocis.state(),
    stripe: stripe.state(),
    dns: { records: dns.list() },
  });

  const calls = (system?: DevSystem): DevCall[] =>
    log.filter(c => !system || c.system === system).map(c => ({ ...c }));

  const reset = () => {
    clearFaults();
    for (const system of DEV_SYSTEMS) {
      servers[system].clearTimers();
      standIns[system].reset();
    }
    dns.reset();
    // the endpoint the platform was started with survives resets
    if (initialWebhook) stripeControl.setWebhook(initialWebhook);
    log.length = 0;
  };

  const configure = (update: Partial<DevPlatformSettings>) => {
    for (const [key, value] of Object.entries(update)) {
      if (key !== 'authentikRecoveryFlow') {
        throw new Error(
          `unknown setting "${key}" (allowed: authentikRecoveryFlow)`,
        );
      }
      if (typeof value !== 'boolean') {
        throw new Error(`"${key}" must be a boolean`);
      }
      settings[key] = value;
    }
  };

  const seed = {
    authentikSession: (
      username: string,
      details?: { lastIp?: string; userAgent?: string },
    ) => authentik.seedSession(username, details),
    authentikDevice: (
      userPk: number,
      details?: { name?: string; type?: string; confirmed?: boolean },
    ) => authentik.seedDevice(userPk, details),
    ocisDriveUsage: (driveId: string, usedBytes: number) =>
      ocis.seedUsage(driveId, usedBytes),
  };

  const platformBase = {
    setFault,
    clearFaults,
    state,
    calls,
    reset,
    configure,
    seed,
    settings: () => ({ ...settings }),
    faults: () =>
      Object.fromEntries(
        DEV_SYSTEMS.map(s => [s, servers[s].fault.current()]),
      ) as Record<DevSystem, DevFault>,
    whenListening: (system: DevSystem) => servers[system].pending,
    stripe: stripeControl,
    dns: dnsControl,
  };
  let control;
  try {
    control = await startControlServer(
      platformBase,
      host,
      options.ports?.control ?? 0,
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await control.stop();
      for (const system of DEV_SYSTEMS) await servers[system].stop();
      await dns.stop();
    })();
    return stopped;
  };

  return {
    urls: {
      authentik: servers.authentik.url,
      stalwart: servers.stalwart.url,
      ocis: servers.ocis.url,
      stripe: servers.stripe.url,
      control: formatUrl(host, control.port),
      dns: `${host.includes(':') ? `[${host}]` : host}:${dns.port}`,
    },
    setFault,
    clearFaults,
    state,
    calls,
    reset,
    stop,
    configure,
    seed,
    stripe: stripeControl,
    dns: dnsControl,
  };
}
