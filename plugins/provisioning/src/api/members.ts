/*
 * The members API's shapes as the provisioning backend answers them
 * (plugins/provisioning-backend/src/members/types.ts, where they are
 * defined; docs/provisioning.md#members). They belong in
 * @internal/plugin-provisioning-common, shared by both; until they move
 * there, keep these in step with the backend's.
 */

/** A member's role in one tenant. */
export const MEMBER_ROLES = ['admin', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** A member's mailbox in this tenant, as Stalwart holds it. */
export interface MemberMailbox {
  address: string;
  state: 'active' | 'frozen' | 'missing';
}

/** One person of a tenant (`GET /api/provisioning/tenants/:name/members`). */
export interface TenantMember {
  /** The Authentik user's pk. */
  id: string;
  name: string;
  email: string;
  username: string;
  role: MemberRole;
  ssoActive: boolean;
  suspended: boolean;
  mailbox: MemberMailbox | null;
  lastSignIn: string | null;
  mfa: boolean;
  otherTenants: number;
}

export interface TenantMemberList {
  items: TenantMember[];
  /** False while the tenant's Authentik group does not exist yet. */
  provisioned: boolean;
}

/** The outcome of one system's part of a member action. */
export interface MemberStepOutcome {
  step: 'authentik' | 'stalwart' | 'ocis';
  status: 'ok' | 'failed' | 'skipped';
  attempts: number;
  message: string;
}

/** The answer of every member action; the one-time password appears here only. */
export interface MemberActionResult {
  member?: TenantMember;
  steps: MemberStepOutcome[];
  oneTimePassword?: string;
  passwordFor?: Array<'sso' | 'mailbox'>;
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
