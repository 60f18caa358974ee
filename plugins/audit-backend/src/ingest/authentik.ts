import {
  AuditActor,
  AuditEventInput,
  AuditResource,
} from '@internal/plugin-audit-common';
import { TenantInfo } from '../services/TenantDirectory';
import {
  authentikAction,
  countAppended,
  emailDomain,
  IngestTickResult,
  isoTime,
  nonEmpty,
} from './actionMaps';
import { IngestContext } from './types';

/** The ingest source, and the key of its cursor. */
export const AUTHENTIK_SOURCE = 'authentik';

/** An event as Authentik's `/api/v3/events/events/` lists it. */
export interface AuthentikEvent {
  pk: string;
  /** ISO 8601 with time zone, microseconds. */
  created: string;
  action: string;
  app?: string;
  user?: AuthentikEventUser;
  client_ip?: string | null;
  context?: Record<string, unknown>;
  /** Named `tenant` before Authentik 2024.2. */
  brand?: Record<string, unknown>;
  tenant?: Record<string, unknown>;
}

/** The `user` of an event: who acted (impersonator first when impersonating). */
export interface AuthentikEventUser {
  pk?: number | string;
  username?: string;
  email?: string;
  is_anonymous?: boolean;
  on_behalf_of?: AuthentikEventUser;
}

interface EventsPage {
  pagination?: { next?: number | null };
  results?: AuthentikEvent[];
}

/**
 * How far the poller has read. `lastEventAt` is the `created` of the newest
 * event recorded; events at or after it are read again (and deduplicated).
 * `pending` is a walk back in time that hit the page cap: it resumes at
 * `page` and, once it reaches `lastEventAt`, moves the cursor to `newest*`.
 */
export interface AuthentikCursor {
  lastEventAt?: string;
  lastEventId?: string;
  pending?: { page: number; newestAt: string; newestId: string };
}

/** Groups that grant platform-wide rights and say nothing about a tenant. */
const PLATFORM_GROUPS = new Set([
  'authentik admins',
  'dezky-platform-admins',
  'dezky-partner-staff',
]);

/** A tenant's admin group is `<slug>-admins` (or `-admin`). */
const ADMIN_SUFFIX = /[-_ ]admins?$/i;

/**
 * Pulls Authentik's event log into the audit chain.
 *
 * Authentik's events endpoint filters by action, user, IP and so on but not
 * by time (a `created__gt` parameter is silently ignored; its query-language
 * `search` needs an enterprise licence). So each tick walks the list newest
 * first (`ordering=-created`), page by page, until it meets an event older
 * than the cursor, then records what it read oldest first. At most
 * `maxPages` × `pageSize` events per tick: when the walk hits that cap before
 * the cursor, the next tick resumes at the following page (new events only
 * push old ones to later pages, so nothing is skipped) and the cursor moves
 * once the walk is complete. Events at the cursor's time are read again and
 * deduplicated by (source, externalId = pk).
 */
export class AuthentikPoller {
  private readonly ctx: IngestContext;
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly fetch: typeof fetch;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private inFlight = false;

  constructor(options: {
    ctx: IngestContext;
    /** e.g. https://auth.dezky.example (a trailing /api/v3 is accepted). */
    baseUrl: string;
    /** An Authentik API token allowed to view events and users. */
    token: string;
    fetch?: typeof fetch;
    pageSize?: number;
    maxPages?: number;
  }) {
    this.ctx = options.ctx;
    this.baseUrl = options.baseUrl
      .replace(/\/+$/, '')
      .replace(/\/api\/v3$/, '');
    this.token = options.token;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.pageSize = options.pageSize ?? 100;
    this.maxPages = options.maxPages ?? 10;
  }

  /**
   * Reads new events and records them, then saves the cursor. Throws on an
   * HTTP or database error, leaving the cursor where it was.
   */
  async tick(): Promise<IngestTickResult> {
    if (this.inFlight) {
      this.ctx.logger.debug('Authentik ingest: previous tick still running');
      return { fetched: 0, recorded: 0, skipped: true };
    }
    this.inFlight = true;
    try {
      await this.ctx.catalog?.whenReady();
      return await this.run();
    } finally {
      this.inFlight = false;
    }
  }

  private async run(): Promise<IngestTickResult> {
    const cursor = await this.readCursor();
    const { events, complete, nextPage } = await this.walk(cursor);

    // read newest first; recorded in the order they happened
    const ordered = [...events].sort(
      (a, b) => Date.parse(a.created) - Date.parse(b.created),
    );
    const groups = new Map<string, Promise<string[]>>();
    const inputs: AuditEventInput[] = [];
    for (const event of ordered) {
      inputs.push(await this.toInput(event, groups));
    }
    const recorded = inputs.length
      ? countAppended(await this.ctx.record(inputs))
      : 0;

    const newest = cursor.pending
      ? { at: cursor.pending.newestAt, id: cursor.pending.newestId }
      : events[0] && {
          at: isoTime(events[0].created)!,
          id: String(events[0].pk),
        };
    const kept = {
      lastEventAt: cursor.lastEventAt,
      lastEventId: cursor.lastEventId,
    };
    let next: AuthentikCursor = kept;
    if (complete && newest) {
      next = { lastEventAt: newest.at, lastEventId: newest.id };
    } else if (!complete && newest) {
      next = {
        ...kept,
        pending: { page: nextPage, newestAt: newest.at, newestId: newest.id },
      };
      this.ctx.logger.info(
        `Authentik ingest: page cap reached (${this.maxPages} pages of ${this.pageSize}); continuing at page ${nextPage} next tick`,
      );
    }
    if (JSON.stringify(next) !== JSON.stringify(cursor)) {
      await this.ctx.cursors.set(AUTHENTIK_SOURCE, JSON.stringify(next));
    }
    return { fetched: events.length, recorded };
  }

  /**
   * Reads pages newest first from page 1 (or where a capped walk stopped)
   * until an event older than the cursor, the last page, or the page cap.
   */
  private async walk(cursor: AuthentikCursor) {
    const since = cursor.lastEventAt ? Date.parse(cursor.lastEventAt) : -1;
    const events: AuthentikEvent[] = [];
    let page = cursor.pending?.page ?? 1;
    for (let pages = 0; pages < this.maxPages; pages++) {
      const result = await this.eventsPage(page);
      for (const event of result.results) {
        if (Date.parse(event.created) < since) {
          return { events, complete: true, nextPage: page };
        }
        events.push(event);
      }
      if (!result.next) return { events, complete: true, nextPage: page };
      page = result.next;
    }
    return { events, complete: false, nextPage: page };
  }

  private async readCursor(): Promise<AuthentikCursor> {
    const raw = await this.ctx.cursors.get(AUTHENTIK_SOURCE);
    if (!raw) return {};
    try {
      const parsed = JSON.parse(raw);
      return typeof parsed === 'object' && parsed ? parsed : {};
    } catch {
      throw new Error(`Authentik ingest: stored cursor is not JSON: ${raw}`);
    }
  }

  /** One page, newest first; an out-of-range page (404) is an empty last page. */
  private async eventsPage(
    page: number,
  ): Promise<{ results: AuthentikEvent[]; next?: number }> {
    const url = new URL(`${this.baseUrl}/api/v3/events/events/`);
    url.searchParams.set('ordering', '-created');
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(this.pageSize));
    const response = await this.get(url, page > 1 ? [404] : []);
    if (!response) return { results: [] };
    const body = (await response.json()) as EventsPage;
    if (!Array.isArray(body.results)) {
      throw new Error(
        `Authentik events response from ${url.pathname} has no results list`,
      );
    }
    return {
      results: body.results,
      next: Number(body.pagination?.next) || undefined,
    };
  }

  /** The names of a user's groups; none for a user Authentik no longer has. */
  private async userGroups(pk: string): Promise<string[]> {
    const url = new URL(
      `${this.baseUrl}/api/v3/core/users/${encodeURIComponent(pk)}/`,
    );
    const response = await this.get(url, [404]);
    if (!response) return [];
    const body = (await response.json()) as {
      groups_obj?: Array<{ name?: string }>;
    };
    return (body.groups_obj ?? [])
      .map(g => g.name)
      .filter((name): name is string => typeof name === 'string');
  }

  /** GET with the token; undefined for a status in `tolerated`, else throws on non-2xx. */
  private async get(url: URL, tolerated: number[]) {
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
        },
      });
    } catch (error) {
      throw new Error(
        `Authentik request GET ${url.pathname}${url.search} failed: ${error}`,
      );
    }
    if (tolerated.includes(response.status)) return undefined;
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      throw new Error(
        `Authentik request GET ${url.pathname}${url.search} failed: HTTP ${
          response.status
        } ${response.statusText}${text ? `: ${text}` : ''}`,
      );
    }
    return response;
  }

  private async toInput(
    event: AuthentikEvent,
    groups: Map<string, Promise<string[]>>,
  ): Promise<AuditEventInput> {
    const at = isoTime(event.created);
    if (!at) {
      throw new Error(
        `Authentik event ${event.pk} has no valid time: ${event.created}`,
      );
    }
    const { action, outcome } = authentikAction(String(event.action ?? ''));
    const context = event.context ?? {};
    const user = realUser(event.user);
    const onBehalfOf = realUser(event.user?.on_behalf_of);
    const tenant = await this.tenantOf([user, onBehalfOf], groups);
    const brand = event.brand ?? event.tenant;
    return {
      at,
      actor: actorOf(event, user, context),
      action,
      outcome,
      resource: resourceOf(context, user),
      tenant: tenant?.tenantRef,
      partner: tenant?.partnerRef,
      source: AUTHENTIK_SOURCE,
      externalId: String(event.pk),
      metadata: dropUndefined({
        authentikAction: event.action,
        app: nonEmpty(event.app),
        user: user && dropUndefined({ pk: user.pk, username: user.username }),
        onBehalfOf:
          onBehalfOf &&
          dropUndefined({
            pk: onBehalfOf.pk,
            username: onBehalfOf.username,
            email: nonEmpty(onBehalfOf.email),
          }),
        brand: nonEmpty(brand?.domain) ?? nonEmpty(brand?.branding_title),
        context,
      }),
    };
  }

  /**
   * The tenant of the first user (actor, then impersonated user) one of
   * whose groups is a tenant: platform admin groups are ignored, and a
   * tenant admin group `acme-admins` counts as `acme`; first match wins.
   */
  private async tenantOf(
    users: Array<AuthentikEventUser | undefined>,
    groups: Map<string, Promise<string[]>>,
  ): Promise<TenantInfo | undefined> {
    for (const user of users) {
      if (user?.pk === undefined) continue;
      const pk = String(user.pk);
      if (!groups.has(pk)) groups.set(pk, this.userGroups(pk));
      for (const name of await groups.get(pk)!) {
        if (PLATFORM_GROUPS.has(name.toLocaleLowerCase('en-US'))) continue;
        const candidates = ADMIN_SUFFIX.test(name)
          ? [name, name.replace(ADMIN_SUFFIX, '')]
          : [name];
        for (const candidate of candidates) {
          const tenant = await this.ctx.tenants.byName(candidate);
          if (tenant) return tenant;
        }
      }
    }
    return undefined;
  }
}

/** The user, unless Authentik's anonymous user or missing. */
function realUser(user?: AuthentikEventUser): AuthentikEventUser | undefined {
  if (!user || user.pk === undefined || user.pk === null) return undefined;
  if (user.is_anonymous || user.username === 'AnonymousUser') return undefined;
  return user;
}

function actorOf(
  event: AuthentikEvent,
  user: AuthentikEventUser | undefined,
  context: Record<string, unknown>,
): AuditActor {
  const ip = nonEmpty(event.client_ip);
  if (user) {
    return dropUndefined({ type: 'user', email: nonEmpty(user.email), ip });
  }
  // e.g. login_failed: nobody signed in; the name they tried is in the context
  const attempted = nonEmpty(context.username);
  const email = emailDomain(attempted) ? attempted : undefined;
  if (ip || email) return dropUndefined({ type: 'external', email, ip });
  return { type: 'system' };
}

function resourceOf(
  context: Record<string, unknown>,
  user: AuthentikEventUser | undefined,
): AuditResource | undefined {
  const model = context.model as Record<string, unknown> | undefined;
  if (model && typeof model === 'object') {
    return dropUndefined({
      type: nonEmpty(model.model_name) ?? 'model',
      ref: model.pk === undefined ? undefined : String(model.pk),
      name: nonEmpty(model.name),
    });
  }
  const app = context.authorized_application as
    | Record<string, unknown>
    | undefined;
  if (app && typeof app === 'object') {
    return dropUndefined({
      type: 'application',
      ref: app.pk === undefined ? undefined : String(app.pk),
      name: nonEmpty(app.name),
    });
  }
  if (user) {
    return dropUndefined({
      type: 'user',
      ref: String(user.pk),
      name: nonEmpty(user.username),
    });
  }
  return undefined;
}

/** The object without its undefined fields (they would not survive the database). */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;
}
