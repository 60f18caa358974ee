/*
 * The control endpoint: JSON, no auth, loopback clients only.
 *
 *   GET    /state                  DevPlatform.state()
 *   GET    /calls?system=<s>       DevPlatform.calls(system)
 *   GET    /faults                 the current fault of every system (counts still to consume)
 *   PUT    /faults/:system         DevPlatform.setFault (body: DevFault, replaces)
 *   DELETE /faults/:system         DevPlatform.clearFaults(system)
 *   DELETE /faults                 DevPlatform.clearFaults()
 *   POST   /reset                  DevPlatform.reset()
 * Extensions:
 *   GET    /settings, PUT /settings                 DevPlatform.configure
 *   POST   /seed/authentik/sessions {username, lastIp?, userAgent?}
 *   POST   /seed/authentik/devices  {userPk, name?, type?, confirmed?}
 *   PUT    /seed/ocis/drives/:id/used {usedBytes}
 * Stripe stand-in:
 *   GET    /stripe/clock                          {now} (unix seconds)
 *   POST   /stripe/clock/advance {seconds}        moves the clock, runs what falls due → {now}
 *   GET    /stripe/webhook                        the endpoint in force (null: none)
 *   PUT    /stripe/webhook {url, secret?, autoDeliver?, retryAfterMs?}  → the endpoint in force
 *   DELETE /stripe/webhook                        no endpoint → 204
 *   POST   /stripe/webhook/flush                  waits until queued deliveries are answered → all deliveries
 *   POST   /stripe/webhook/deliver {events?}      sends these events now, in this order (all pending without) → their deliveries
 *   POST   /stripe/events/:id/redeliver           sends that event again → its delivery
 *   POST   /stripe/invoices/:id/payment-failed    a failed payment attempt on an open invoice → the invoice
 *   POST   /stripe/invoices/:id/pay               pays an open/uncollectible invoice out of band → the invoice
 * DNS stand-in (dns.ts; also in GET /state as dns.records):
 *   GET    /dns/records                           the records held
 *   PUT    /dns/records {name, type, value} or {record: "<zone-file line>"}  publishes one → 201 {record} (200 when already held)
 *   DELETE /dns/records {name, type?, value?} or {record}  removes the matching records → {removed}; no body: all
 * Errors: {"error": message}; 400 for an invalid body (the message names the
 * key) or an unknown ?system=, 404 for an unknown route or :system.
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import {
  DnsRecordError,
  DNS_RECORD_TYPES,
  DnsRecordType,
  parseDnsRecord,
} from './dns';
import { FaultValidationError } from './faults';
import { isObject, listen, Obj } from './http';
import { StripeControlError } from './stripe';
import {
  DEV_SYSTEMS,
  DevCall,
  DevDnsControl,
  DevFault,
  DevPlatformSettings,
  DevPlatformState,
  DevStripeControl,
  DevSystem,
} from './types';

export interface ControlTarget {
  setFault(system: DevSystem, fault: DevFault): void;
  clearFaults(system?: DevSystem): void;
  state(): DevPlatformState;
  calls(system?: DevSystem): DevCall[];
  reset(): void;
  configure(settings: Partial<DevPlatformSettings>): void;
  settings(): DevPlatformSettings;
  faults(): Record<DevSystem, DevFault>;
  whenListening(system: DevSystem): Promise<unknown>;
  seed: {
    authentikSession(username: string, details?: Obj): object;
    authentikDevice(userPk: number, details?: Obj): object;
    ocisDriveUsage(driveId: string, usedBytes: number): void;
  };
  stripe: DevStripeControl;
  dns: DevDnsControl;
}

class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return (
    address === '::1' ||
    address.startsWith('127.') ||
    address.startsWith('::ffff:127.')
  );
}

function send(res: ServerResponse, status: number, body?: unknown) {
  res.statusCode = status;
  if (body === undefined) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ControlError(400, 'the body is not valid JSON'));
      }
    });
  });
}

/** A system named in the query (400 when unknown) or in the path (404: no such resource). */
function systemParam(
  value: string | null | undefined,
  unknownStatus: 400 | 404 = 400,
): DevSystem {
  if (!DEV_SYSTEMS.includes(value as DevSystem)) {
    throw new ControlError(
      unknownStatus,
      `unknown system "${value}" (systems: ${DEV_SYSTEMS.join(', ')})`,
    );
  }
  return value as DevSystem;
}

function dnsRecord(body: unknown) {
  try {
    return parseDnsRecord(body);
  } catch (err) {
    if (err instanceof DnsRecordError) throw new ControlError(400, err.message);
    throw err;
  }
}

/** What DELETE /dns/records removes: a whole record, or all at a name (of a type). */
function dnsFilter(body: unknown): {
  name: string;
  type?: DnsRecordType;
  value?: string;
} {
  if (
    isObject(body) &&
    (body.record !== undefined || body.value !== undefined)
  ) {
    return dnsRecord(body);
  }
  if (!isObject(body) || typeof body.name !== 'string' || body.name === '') {
    throw new ControlError(
      400,
      'the body must be {"name", "type"?, "value"?} or {"record": "<zone-file line>"}',
    );
  }
  if (
    body.type !== undefined &&
    !DNS_RECORD_TYPES.includes(body.type as DnsRecordType)
  ) {
    throw new ControlError(
      400,
      `"type" must be one of ${DNS_RECORD_TYPES.join(', ')}`,
    );
  }
  return {
    name: body.name,
    ...(body.type !== undefined ? { type: body.type as DnsRecordType } : {}),
  };
}

async function route(
  target: ControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://control');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const [a, b, c, d, e] = parts;

  if (a === 'state' && parts.length === 1 && method === 'GET') {
    return send(res, 200, target.state());
  }
  if (a === 'calls' && parts.length === 1 && method === 'GET') {
    const system = url.searchParams.get('system');
    return send(
      res,
      200,
      target.calls(system === null ? undefined : systemParam(system)),
    );
  }
  if (a === 'faults' && parts.length === 1) {
    if (method === 'GET') return send(res, 200, target.faults());
    if (method === 'DELETE') {
      target.clearFaults();
      await Promise.all(DEV_SYSTEMS.map(s => target.whenListening(s)));
      return send(res, 204);
    }
  }
  if (a === 'faults' && parts.length === 2) {
    const system = systemParam(b, 404);
    if (method === 'PUT') {
      const body = await readJson(req);
      try {
        target.setFault(system, body as DevFault);
      } catch (err) {
        if (err instanceof FaultValidationError) {
          throw new ControlError(400, err.message);
        }
        throw err;
      }
      await target.whenListening(system);
      return send(res, 200, target.faults()[system]);
    }
    if (method === 'DELETE') {
      target.clearFaults(system);
      await target.whenListening(system);
      return send(res, 204);
    }
  }
  if (a === 'reset' && parts.length === 1 && method === 'POST') {
    target.reset();
    await Promise.all(DEV_SYSTEMS.map(s => target.whenListening(s)));
    return send(res, 204);
  }
  if (a === 'settings' && parts.length === 1) {
    if (method === 'GET') return send(res, 200, target.settings());
    if (method === 'PUT') {
      const body = await readJson(req);
      if (!isObject(body))
        throw new ControlError(400, 'the body must be a JSON object');
      try {
        target.configure(body as Partial<DevPlatformSettings>);
      } catch (err) {
        throw new ControlError(400, (err as Error).message);
      }
      return send(res, 200, target.settings());
    }
  }
  if (
    a === 'seed' &&
    method === 'POST' &&
    parts.length === 3 &&
    b === 'authentik'
  ) {
    const body = await readJson(req);
    if (!isObject(body))
      throw new ControlError(400, 'the body must be a JSON object');
    try {
      if (c === 'sessions') {
        if (typeof body.username !== 'string')
          throw new Error('"username" is required');
        return send(
          res,
          201,
          target.seed.authentikSession(body.username, body),
        );
      }
      if (c === 'devices') {
        if (typeof body.userPk !== 'number')
          throw new Error('"userPk" (number) is required');
        return send(res, 201, target.seed.authentikDevice(body.userPk, body));
      }
    } catch (err) {
      throw new ControlError(400, (err as Error).message);
    }
  }
  if (
    a === 'seed' &&
    b === 'ocis' &&
    c === 'drives' &&
    e === 'used' &&
    parts.length === 5 &&
    method === 'PUT'
  ) {
    const body = await readJson(req);
    if (!isObject(body) || typeof body.usedBytes !== 'number')
      throw new ControlError(400, 'the body must be {"usedBytes": <number>}');
    try {
      target.seed.ocisDriveUsage(d, body.usedBytes);
    } catch (err) {
      throw new ControlError(400, (err as Error).message);
    }
    return send(res, 204);
  }
  if (a === 'dns' && b === 'records' && parts.length === 2) {
    if (method === 'GET') return send(res, 200, target.dns.records());
    if (method === 'PUT') {
      const record = dnsRecord(await readJson(req));
      const added = target.dns.publish(record);
      return send(res, added ? 201 : 200, { record });
    }
    if (method === 'DELETE') {
      const body = await readJson(req);
      if (body === undefined) {
        const all = target.dns.records();
        for (const name of new Set(all.map(r => r.name))) {
          target.dns.remove({ name });
        }
        return send(res, 200, { removed: all.length });
      }
      return send(res, 200, { removed: target.dns.remove(dnsFilter(body)) });
    }
  }
  if (a === 'stripe') {
    const handled = await routeStripe(target.stripe, req, res, parts, method);
    if (handled) return undefined;
  }
  throw new ControlError(404, `no control endpoint ${method} ${url.pathname}`);
}

/** The Stripe stand-in's clock and webhook endpoint; false when no route matched. */
async function routeStripe(
  stripe: DevStripeControl,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
  method: string,
): Promise<boolean> {
  const [, b, c, d] = parts;
  const body = async (): Promise<Obj> => {
    const value = (await readJson(req)) ?? {};
    if (!isObject(value))
      throw new ControlError(400, 'the body must be a JSON object');
    return value;
  };
  const deliver = async (ids?: string[]) => {
    try {
      return await stripe.deliverWebhooks(ids);
    } catch (err) {
      throw new ControlError(400, (err as Error).message);
    }
  };
  if (b === 'clock' && parts.length === 2 && method === 'GET') {
    send(res, 200, { now: stripe.now() });
    return true;
  }
  if (
    b === 'clock' &&
    c === 'advance' &&
    parts.length === 3 &&
    method === 'POST'
  ) {
    const { seconds } = await body();
    if (
      !(
        typeof seconds === 'number' &&
        Number.isInteger(seconds) &&
        seconds >= 0
      )
    ) {
      throw new ControlError(400, '"seconds" must be a non-negative integer');
    }
    send(res, 200, { now: stripe.advanceClock(seconds) });
    return true;
  }
  if (b === 'webhook' && parts.length === 2) {
    if (method === 'GET') {
      send(res, 200, stripe.webhook() ?? null);
      return true;
    }
    if (method === 'PUT') {
      const value = await body();
      for (const key of Object.keys(value)) {
        if (!['url', 'secret', 'autoDeliver', 'retryAfterMs'].includes(key)) {
          throw new ControlError(
            400,
            `unknown key "${key}" (allowed: url, secret, autoDeliver, retryAfterMs)`,
          );
        }
      }
      if (typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) {
        throw new ControlError(400, '"url" must be an http(s) URL');
      }
      if (value.secret !== undefined && typeof value.secret !== 'string') {
        throw new ControlError(400, '"secret" must be a string');
      }
      if (
        value.autoDeliver !== undefined &&
        typeof value.autoDeliver !== 'boolean'
      ) {
        throw new ControlError(400, '"autoDeliver" must be a boolean');
      }
      if (
        value.retryAfterMs !== undefined &&
        value.retryAfterMs !== null &&
        !(
          typeof value.retryAfterMs === 'number' &&
          Number.isInteger(value.retryAfterMs) &&
          value.retryAfterMs >= 1
        )
      ) {
        throw new ControlError(
          400,
          '"retryAfterMs" must be a positive whole number of milliseconds (or null: no automatic retry)',
        );
      }
      try {
        stripe.setWebhook({
          url: value.url,
          secret: value.secret,
          autoDeliver: value.autoDeliver,
          retryAfterMs: value.retryAfterMs ?? undefined,
        });
      } catch (err) {
        throw new ControlError(400, (err as Error).message);
      }
      send(res, 200, stripe.webhook());
      return true;
    }
    if (method === 'DELETE') {
      stripe.setWebhook(undefined);
      send(res, 204);
      return true;
    }
  }
  if (
    b === 'webhook' &&
    c === 'flush' &&
    parts.length === 3 &&
    method === 'POST'
  ) {
    send(res, 200, await stripe.flushWebhooks());
    return true;
  }
  if (
    b === 'webhook' &&
    c === 'deliver' &&
    parts.length === 3 &&
    method === 'POST'
  ) {
    const { events } = await body();
    if (
      events !== undefined &&
      !(Array.isArray(events) && events.every(e => typeof e === 'string'))
    ) {
      throw new ControlError(400, '"events" must be an array of event ids');
    }
    send(res, 200, await deliver(events));
    return true;
  }
  if (
    b === 'invoices' &&
    (d === 'payment-failed' || d === 'pay') &&
    parts.length === 4 &&
    method === 'POST'
  ) {
    try {
      const invoice =
        d === 'pay' ? stripe.payInvoice(c) : stripe.failInvoicePayment(c);
      send(res, 200, invoice);
    } catch (err) {
      if (err instanceof StripeControlError) {
        throw new ControlError(err.status, err.message);
      }
      throw err;
    }
    return true;
  }
  if (
    b === 'events' &&
    d === 'redeliver' &&
    parts.length === 4 &&
    method === 'POST'
  ) {
    const [delivery] = await deliver([c]);
    send(res, 200, delivery);
    return true;
  }
  return false;
}

export async function startControlServer(
  target: ControlTarget,
  host: string,
  port: number,
): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) {
      send(res, 403, {
        error: 'the control endpoint answers loopback clients only',
      });
      return;
    }
    route(target, req, res).catch(err => {
      if (err instanceof ControlError)
        send(res, err.status, { error: err.message });
      else send(res, 500, { error: String(err) });
    });
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const actual = await listen(server, port, host);
  return {
    port: actual,
    stop: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
