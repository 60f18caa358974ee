import {
  AuditEventInput,
  RecordedAuditEvent,
} from '@internal/plugin-audit-common';
import { wasAppended } from '../database/AuditStore';

/** What an external event type becomes in the chain. */
export interface MappedAction {
  /** Dotted verb, e.g. `authentik.login_failed`. */
  action: string;
  outcome: AuditEventInput['outcome'];
}

/** The `action` column holds at most 200 characters. */
const MAX_ACTION_LENGTH = 200;

/** Words in an unknown type that say it reports something that failed. */
const FAILURE_WORDS =
  /(^|[._-])(fail|failed|failure|error|exception|reject|rejected|ban|banned|denied|unauthorized|invalid)([._-]|$)/i;

/**
 * An event type no map knows is kept, not dropped: `<source>.<raw>`, with an
 * outcome guessed from its words (`…_failed`, `….error`, … → failure).
 */
export function unknownAction(source: string, raw: string): MappedAction {
  const type = raw.trim() || 'unknown';
  return {
    action: `${source}.${type}`.slice(0, MAX_ACTION_LENGTH),
    outcome: FAILURE_WORDS.test(type) ? 'failure' : 'success',
  };
}

// ---------------------------------------------------------------------------
// Authentik (GET /api/v3/events/events/, field `action`)

/** The 16 Authentik actions the audit trail knows, and their verbs. */
export const AUTHENTIK_ACTIONS: Readonly<Record<string, string>> = {
  login: 'authentik.login',
  login_failed: 'authentik.login_failed',
  logout: 'authentik.logout',
  user_write: 'authentik.user_updated',
  suspicious_request: 'authentik.suspicious_request',
  password_set: 'authentik.password_changed',
  secret_view: 'authentik.secret_viewed',
  secret_rotate: 'authentik.secret_rotated',
  invitation_used: 'authentik.invitation_used',
  authorize_application: 'authentik.application_authorized',
  source_linked: 'authentik.source_linked',
  impersonation_started: 'authentik.impersonation_started',
  impersonation_ended: 'authentik.impersonation_ended',
  model_created: 'authentik.model_created',
  model_updated: 'authentik.model_updated',
  model_deleted: 'authentik.model_deleted',
};

/** Authentik actions that report something that failed or was refused. */
const AUTHENTIK_FAILURES = new Set([
  'login_failed',
  'suspicious_request',
  'policy_exception',
  'property_mapping_exception',
  'system_task_exception',
  'system_exception',
  'configuration_error',
]);

/** The verb and outcome of an Authentik event action. */
export function authentikAction(raw: string): MappedAction {
  const known = AUTHENTIK_ACTIONS[raw];
  if (!known) {
    const fallback = unknownAction('authentik', raw);
    return AUTHENTIK_FAILURES.has(raw)
      ? { ...fallback, outcome: 'failure' }
      : fallback;
  }
  return {
    action: known,
    outcome: AUTHENTIK_FAILURES.has(raw) ? 'failure' : 'success',
  };
}

// ---------------------------------------------------------------------------
// Stalwart (webhook events, field `type`)

/**
 * Stalwart event types by their normalized form (lower case, `.` and `-` as
 * `_`), covering the older webhook names (`auth.failure`, `message.rejected`)
 * and the telemetry names of newer versions (`auth.failed`,
 * `security.authentication-ban`), onto the 14 verbs the audit trail knows.
 */
export const STALWART_ACTIONS: Readonly<Record<string, string>> = {
  auth_success: 'stalwart.auth_success',
  auth_failure: 'stalwart.auth_failed',
  auth_failed: 'stalwart.auth_failed',
  auth_banned: 'stalwart.auth_banned',
  security_authentication_ban: 'stalwart.auth_banned',
  account_created: 'stalwart.account_created',
  principal_created: 'stalwart.account_created',
  account_deleted: 'stalwart.account_deleted',
  principal_deleted: 'stalwart.account_deleted',
  password_changed: 'stalwart.password_changed',
  account_password_changed: 'stalwart.password_changed',
  message_accepted: 'stalwart.mail_received',
  message_appended: 'stalwart.mail_received',
  message_ingest_ham: 'stalwart.mail_received',
  delivery_delivered: 'stalwart.mail_delivered',
  delivery_completed: 'stalwart.mail_delivered',
  delivery_failed: 'stalwart.mail_failed',
  delivery_dsn_perm_fail: 'stalwart.mail_failed',
  dsn: 'stalwart.mail_failed',
  double_bounce: 'stalwart.mail_failed',
  delivery_double_bounce: 'stalwart.mail_failed',
  message_rejected: 'stalwart.mail_rejected',
  delivery_message_rejected: 'stalwart.mail_rejected',
  smtp_relay_not_allowed: 'stalwart.policy_rejection',
  mta_hook_action_reject: 'stalwart.policy_rejection',
  milter_action_reject: 'stalwart.policy_rejection',
  dkim_fail: 'stalwart.dkim_failure',
  smtp_dkim_fail: 'stalwart.dkim_failure',
  dmarc_fail: 'stalwart.dmarc_failure',
  smtp_dmarc_fail: 'stalwart.dmarc_failure',
  message_ingest_spam: 'stalwart.spam_detected',
  spam_detected: 'stalwart.spam_detected',
};

const STALWART_FAILURES = new Set([
  'stalwart.auth_failed',
  'stalwart.auth_banned',
  'stalwart.mail_failed',
  'stalwart.mail_rejected',
  'stalwart.policy_rejection',
  'stalwart.dkim_failure',
  'stalwart.dmarc_failure',
]);

/** `auth.Failed`, `auth-failed` and `auth_failed` are one type. */
export function normalizeStalwartType(raw: string): string {
  return raw.trim().toLocaleLowerCase('en-US').replace(/[.-]/g, '_');
}

/** The verb and outcome of a Stalwart webhook event type. */
export function stalwartAction(raw: string): MappedAction {
  const known = STALWART_ACTIONS[normalizeStalwartType(raw)];
  if (!known) return unknownAction('stalwart', raw);
  return {
    action: known,
    outcome: STALWART_FAILURES.has(known) ? 'failure' : 'success',
  };
}

// ---------------------------------------------------------------------------
// OCIS (audit service, JSON lines, field `Action`)

/** What an allowlisted OCIS action becomes, and what it acts on. */
export interface OcisActionInfo {
  verb: string;
  resource: 'file' | 'folder' | 'share' | 'space' | 'user' | 'group';
}

/**
 * The OCIS audit actions that change something: file, share, space, user and
 * group mutations. Reads (`file_read`, `public_link_accessed`) and anything
 * else are not allowlisted and are skipped — they would bury the mutations.
 */
export const OCIS_ALLOWLIST: Readonly<Record<string, OcisActionInfo>> = {
  file_shared: { verb: 'ocis.share_created', resource: 'share' },
  share_permission_updated: {
    verb: 'ocis.share_permission_updated',
    resource: 'share',
  },
  share_name_updated: { verb: 'ocis.share_name_updated', resource: 'share' },
  share_password_updated: {
    verb: 'ocis.share_password_updated',
    resource: 'share',
  },
  share_expiration_updated: {
    verb: 'ocis.share_expiration_updated',
    resource: 'share',
  },
  file_unshared: { verb: 'ocis.share_removed', resource: 'share' },
  share_accepted: { verb: 'ocis.share_accepted', resource: 'share' },
  share_declined: { verb: 'ocis.share_declined', resource: 'share' },
  container_create: { verb: 'ocis.folder_created', resource: 'folder' },
  file_create: { verb: 'ocis.file_uploaded', resource: 'file' },
  file_delete: { verb: 'ocis.file_trashed', resource: 'file' },
  file_rename: { verb: 'ocis.file_moved', resource: 'file' },
  file_trash_delete: { verb: 'ocis.file_purged', resource: 'file' },
  file_trash_restore: { verb: 'ocis.file_restored', resource: 'file' },
  file_version_restore: {
    verb: 'ocis.file_version_restored',
    resource: 'file',
  },
  space_created: { verb: 'ocis.space_created', resource: 'space' },
  space_renamed: { verb: 'ocis.space_renamed', resource: 'space' },
  space_disabled: { verb: 'ocis.space_disabled', resource: 'space' },
  space_enabled: { verb: 'ocis.space_enabled', resource: 'space' },
  space_deleted: { verb: 'ocis.space_deleted', resource: 'space' },
  space_shared: { verb: 'ocis.space_shared', resource: 'space' },
  space_unshared: { verb: 'ocis.space_unshared', resource: 'space' },
  space_updated: { verb: 'ocis.space_updated', resource: 'space' },
  user_created: { verb: 'ocis.user_created', resource: 'user' },
  user_deleted: { verb: 'ocis.user_deleted', resource: 'user' },
  user_feature_changed: {
    verb: 'ocis.user_feature_changed',
    resource: 'user',
  },
  group_created: { verb: 'ocis.group_created', resource: 'group' },
  group_deleted: { verb: 'ocis.group_deleted', resource: 'group' },
  group_member_added: { verb: 'ocis.group_member_added', resource: 'group' },
  group_member_removed: {
    verb: 'ocis.group_member_removed',
    resource: 'group',
  },
};

/**
 * The allowlist entry of an OCIS audit action, or undefined when the action
 * is not a mutation the trail keeps. Public links are shares of type `link`
 * and get their own verbs.
 */
export function ocisAction(
  raw: string,
  shareType?: string,
): OcisActionInfo | undefined {
  const info = Object.prototype.hasOwnProperty.call(OCIS_ALLOWLIST, raw)
    ? OCIS_ALLOWLIST[raw]
    : undefined;
  if (info && shareType === 'link') {
    if (raw === 'file_shared')
      return { verb: 'ocis.link_created', resource: 'share' };
    if (raw === 'file_unshared')
      return { verb: 'ocis.link_removed', resource: 'share' };
  }
  return info;
}

// ---------------------------------------------------------------------------
// Helpers the ingests share

/** The tick's outcome, for logs. */
export interface IngestTickResult {
  /** Events read from the source this tick (overlap included). */
  fetched: number;
  /** Events newly appended to the chain (duplicates not counted). */
  recorded: number;
  /** True when the tick did nothing because the previous one still ran. */
  skipped?: boolean;
}

/** The lower-case domain of an address like `anna@acme.example`, if it is one. */
export function emailDomain(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  const domain = value
    .slice(at + 1)
    .trim()
    .replace(/[>\s].*$/, '')
    .toLocaleLowerCase('en-US');
  return /^[a-z0-9.-]+\.[a-z0-9-]+$/.test(domain) ? domain : undefined;
}

/** The value when it is a non-empty string. */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** An ISO 8601 UTC time with milliseconds, or undefined when `value` is no time. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && !value.trim()) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** How many of `events` (as `record` returned them) the chain newly appended. */
export function countAppended(events: RecordedAuditEvent[]): number {
  return events.filter(wasAppended).length;
}
