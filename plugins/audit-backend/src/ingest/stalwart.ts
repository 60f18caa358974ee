import { AuthenticationError, InputError } from '@backstage/errors';
import {
  AuditActor,
  AuditEventInput,
  AuditResource,
} from '@internal/plugin-audit-common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import Router from 'express-promise-router';
import { TenantDirectory, TenantInfo } from '../services/TenantDirectory';
import {
  countAppended,
  emailDomain,
  isoTime,
  nonEmpty,
  stalwartAction,
} from './actionMaps';
import { jsonNestingDepth, MAX_INGEST_JSON_DEPTH } from './json';
import { IngestContext } from './types';

/** The ingest source. */
export const STALWART_SOURCE = 'stalwart';

/** Where Stalwart posts, relative to the audit plugin's base URL. */
export const STALWART_WEBHOOK_PATH = '/ingest/stalwart';

/** The header Stalwart signs the body in: base64 of HMAC-SHA256(key, body). */
export const STALWART_SIGNATURE_HEADER = 'x-signature';

/** One event of a webhook delivery: `{ events: [{ id, createdAt, type, data }] }`. */
export interface StalwartEvent {
  id?: string | number;
  createdAt?: string;
  type?: string;
  data?: Record<string, unknown>;
}

/** Fields of `data` that name the account an event is about, in order. */
const ACCOUNT_FIELDS = [
  'accountName',
  'login',
  'account',
  'email',
  'username',
  'address',
];
/** Fields that name recipients and senders, tried after the account for a tenant. */
const RECIPIENT_FIELDS = ['to', 'rcptTo', 'recipient', 'from', 'mailFrom'];
const IP_FIELDS = ['remoteIp', 'ip', 'remoteAddr'];
/** Verbs whose account signed in and acted. */
const SIGNED_IN = new Set([
  'stalwart.auth_success',
  'stalwart.password_changed',
]);
/** Verbs whose account is only the name someone tried to sign in with. */
const TRIED_TO_SIGN_IN = new Set([
  'stalwart.auth_failed',
  'stalwart.auth_banned',
]);

/** The HMAC-SHA256 check: true only for the exact base64 signature of `body`. */
export function isValidStalwartSignature(
  body: Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  const signature = header?.trim();
  if (!signature || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Receives Stalwart's webhook at `POST /ingest/stalwart`. Mount it before any
 * JSON body parser (the signature is over the raw bytes) and allow it
 * unauthenticated in Backstage: the signature is its authentication.
 *
 * - missing or wrong `X-Signature` → 401, nothing written;
 * - a body that is not JSON, nests deeper than {@link MAX_INGEST_JSON_DEPTH}
 *   levels, has no event list, or has an event that is not an object or
 *   whose id is not a string or number → 400, nothing written (a 500 for
 *   such a delivery would be delivered again and fail again, forever);
 * - otherwise every event is recorded (externalId = the event's id, so a
 *   re-delivery is deduplicated) and the answer is
 *   `{ received, recorded, deduplicated }`. A failed write answers 500 and
 *   Stalwart delivers again.
 */
export function createStalwartWebhookRouter(options: {
  ctx: IngestContext;
  /** Stalwart's `signature-key` for this webhook. */
  secret: string;
}): express.Router {
  const { ctx, secret } = options;
  if (!secret) throw new Error('Stalwart webhook secret must not be empty');
  const router = Router();
  router.post(
    STALWART_WEBHOOK_PATH,
    express.raw({ type: '*/*', limit: '1mb' }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (
        !isValidStalwartSignature(
          body,
          req.header(STALWART_SIGNATURE_HEADER),
          secret,
        )
      ) {
        throw new AuthenticationError(
          'Missing or invalid Stalwart webhook signature',
        );
      }
      const events = parseStalwartEvents(body);
      await ctx.catalog?.assertReady();
      const inputs: AuditEventInput[] = [];
      for (const event of events) {
        inputs.push(await mapStalwartEvent(event, ctx.tenants));
      }
      const recorded = inputs.length
        ? countAppended(await ctx.record(inputs))
        : 0;
      if (recorded) {
        ctx.logger.debug(`Stalwart ingest: recorded ${recorded} event(s)`);
      }
      res.status(200).json({
        received: inputs.length,
        recorded,
        deduplicated: inputs.length - recorded,
      });
    },
  );
  return router;
}

/**
 * The events of a delivery. Stalwart sends `{ events: [...] }`; a bare list
 * or a single event is accepted too, as its payload shape has moved between
 * versions. Anything else is an InputError (400), as is a body nested deeper
 * than {@link MAX_INGEST_JSON_DEPTH} levels (checked before parsing: storing
 * such metadata would overflow the stack) and an event whose `id` is an
 * object or array (it would become "[object Object]" and collide).
 */
export function parseStalwartEvents(body: Buffer): StalwartEvent[] {
  const text = body.toString('utf8');
  if (jsonNestingDepth(text, MAX_INGEST_JSON_DEPTH) > MAX_INGEST_JSON_DEPTH) {
    throw new InputError(
      `Stalwart webhook body nests objects or arrays deeper than ${MAX_INGEST_JSON_DEPTH} levels; nothing recorded`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new InputError(`Stalwart webhook body is not JSON: ${error}`);
  }
  let events: unknown;
  if (Array.isArray(payload)) events = payload;
  else if (isObject(payload) && Array.isArray(payload.events))
    events = payload.events;
  else if (isObject(payload) && typeof payload.type === 'string')
    events = [payload];
  if (!Array.isArray(events)) {
    throw new InputError('Stalwart webhook body has no events list');
  }
  events.forEach((event, i) => {
    if (!isObject(event)) {
      throw new InputError(`Stalwart webhook event ${i} is not an object`);
    }
    const id: unknown = event.id;
    if (typeof id === 'object' && id !== null) {
      const type = nonEmpty(event.type);
      throw new InputError(
        `Stalwart webhook event ${i}${
          type ? ` (type ${type})` : ''
        } has an id that is ${
          Array.isArray(id) ? 'an array' : 'an object'
        }, not a string or number; nothing recorded`,
      );
    }
  });
  return events as StalwartEvent[];
}

/**
 * One Stalwart event as an audit event: the verb from its type, the tenant
 * from the domain of the account (or else a recipient or sender) it names,
 * the whole `data` kept as metadata.
 */
export async function mapStalwartEvent(
  event: StalwartEvent,
  tenants: TenantDirectory,
): Promise<AuditEventInput> {
  const type = nonEmpty(event.type) ?? 'unknown';
  const data = isObject(event.data) ? event.data : {};
  const { action, outcome } = stalwartAction(type);
  const account = firstString(data, ACCOUNT_FIELDS);
  const tenant = await tenantOf(data, tenants);
  const id =
    event.id !== undefined && event.id !== null && String(event.id).trim()
      ? String(event.id).trim()
      : createHash('sha256').update(JSON.stringify(event)).digest('hex');
  return {
    at: isoTime(event.createdAt) ?? new Date().toISOString(),
    actor: actorOf(action, account, firstString(data, IP_FIELDS)),
    action,
    outcome,
    resource: resourceOf(account, data),
    tenant: tenant?.tenantRef,
    partner: tenant?.partnerRef,
    source: STALWART_SOURCE,
    externalId: id,
    metadata: { stalwartType: type, ...data },
  };
}

async function tenantOf(
  data: Record<string, unknown>,
  tenants: TenantDirectory,
): Promise<TenantInfo | undefined> {
  const domains: string[] = [];
  const direct = nonEmpty(data.domain);
  if (direct) domains.push(direct.toLocaleLowerCase('en-US'));
  for (const field of [...ACCOUNT_FIELDS, ...RECIPIENT_FIELDS]) {
    for (const value of asList(data[field])) {
      const domain = emailDomain(value);
      if (domain && !domains.includes(domain)) domains.push(domain);
    }
  }
  for (const domain of domains) {
    const tenant = await tenants.byDomain(domain);
    if (tenant) return tenant;
  }
  return undefined;
}

/** Who acted: the account that signed in (or tried to), else the remote peer. */
function actorOf(
  action: string,
  account: string | undefined,
  ip: string | undefined,
): AuditActor {
  const email = emailDomain(account) ? account : undefined;
  if (SIGNED_IN.has(action)) return dropUndefined({ type: 'user', email, ip });
  if (TRIED_TO_SIGN_IN.has(action)) {
    return dropUndefined({ type: 'external', email, ip });
  }
  return ip ? { type: 'external', ip } : { type: 'system' };
}

function resourceOf(
  account: string | undefined,
  data: Record<string, unknown>,
): AuditResource | undefined {
  if (account) return { type: 'mailbox', name: account };
  const domain = nonEmpty(data.domain);
  return domain ? { type: 'mail-domain', name: domain } : undefined;
}

function firstString(
  data: Record<string, unknown>,
  fields: string[],
): string | undefined {
  for (const field of fields) {
    const value = asList(data[field]).map(nonEmpty).find(Boolean);
    if (value) return value;
  }
  return undefined;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;
}
