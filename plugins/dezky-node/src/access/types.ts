/**
 * What a principal may reach in the Dezky portal, as decided from the catalog.
 *
 * - `operator`: member of dezky-platform-admins; may do everything.
 * - `partner-staff`: member of one or more partners' staff groups (a Partner's
 *   `spec.owner`); sees those partners and their tenants only.
 * - `user`: signed in, but neither; sees nothing beyond their own user entity.
 * - `service`: another backend plugin or an external caller (not a user).
 */
export type DezkyRole = 'operator' | 'partner-staff' | 'user' | 'service';

/** @public */
export interface DezkyAccess {
  role: DezkyRole;
  /** The user's entity ref; undefined for services. */
  userRef?: string;
  /** Groups the user is a member of now, per the catalog (lower-cased refs). */
  groupRefs: string[];
  /** Partners whose staff the user is (lower-cased refs); empty unless partner-staff. */
  partnerRefs: string[];
  /** The staff groups that make the user staff of those partners (lower-cased refs). */
  staffGroupRefs: string[];
}
