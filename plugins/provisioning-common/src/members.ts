/*
 * The members API's shapes (docs/provisioning.md#members), shared by the
 * provisioning backend and the frontend.
 */
/** A member's role in one tenant. */
export const MEMBER_ROLES = ['admin', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** A member's mailbox in this tenant, as Stalwart holds it. */
export interface MemberMailbox {
  /** `<local part of the email>@<the tenant's primary domain>`. */
  address: string;
  /** `frozen`: sign-in and sending withdrawn (mail still arrives); `missing`: recorded but not in Stalwart. */
  state: 'active' | 'frozen' | 'missing';
}

/** One person of a tenant (`GET /api/provisioning/tenants/:name/members`). */
export interface TenantMember {
  /** The Authentik user's pk. */
  id: string;
  name: string;
  email: string;
  username: string;
  /** The role in this tenant (the same person may be admin in another). */
  role: MemberRole;
  /** Whether the person can sign in (Authentik `is_active`). */
  ssoActive: boolean;
  /** Suspended in this tenant from the portal. */
  suspended: boolean;
  /** Null: the member has no mailbox in this tenant. */
  mailbox: MemberMailbox | null;
  /** ISO date-time of the last sign-in (Authentik `last_login`); null: never. */
  lastSignIn: string | null;
  /** At least one confirmed Authentik authenticator. */
  mfa: boolean;
  /** How many other tenants the person belongs to. */
  otherTenants: number;
}

export interface TenantMemberList {
  items: TenantMember[];
  /** False while the tenant's Authentik group does not exist yet (no members can exist). */
  provisioned: boolean;
}

/** The outcome of one system's part of a member action. */
export interface MemberStepOutcome {
  step: 'authentik' | 'stalwart' | 'ocis';
  status: 'ok' | 'failed' | 'skipped';
  /** Calls tried (retries of a failed call included). */
  attempts: number;
  /** What was done or why it failed. */
  message: string;
}

/** The answer of create and reset-password: the one-time password appears here only. */
export interface MemberActionResult {
  member?: TenantMember;
  steps: MemberStepOutcome[];
  /**
   * The one-time password, shown once: never stored, logged or audited.
   * Absent when nothing got a new password (e.g. a person already on the
   * platform added to a tenant without a mail domain).
   */
  oneTimePassword?: string;
  /** What the one-time password opens: `sso` (Authentik), `mailbox` (Stalwart). */
  passwordFor?: Array<'sso' | 'mailbox'>;
  /** Force logout: how many sessions were ended. */
  sessionsEnded?: number;
}

/** What Add member sends. */
export interface NewMember {
  name: string;
  email: string;
  role: MemberRole;
}

/** The actions on one member (POST …/members/:id/<action>). */
export type MemberAction = 'suspend' | 'resume' | 'logout' | 'reset-password';
