/**
 * A tenant's mail domains and their DNS checks
 * (docs/provisioning.md#domains).
 */

/** The DMARC policies a tenant may set per domain (`p=`). */
export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** A domain's DMARC setting: the policy and, optionally, where aggregate reports go. */
export interface DmarcSetting {
  policy: DmarcPolicy;
  /** An email address (published as `rua=mailto:<address>`). */
  rua?: string;
}

/** The records checked for each domain. */
export const DOMAIN_RECORD_KINDS = [
  'mx',
  'spf',
  'dkim',
  'dmarc',
  'ownership',
] as const;
export type DomainRecordKind = (typeof DOMAIN_RECORD_KINDS)[number];

/**
 * How a record compares: `ok` found as expected; `missing` nothing of its
 * kind at its name; `different` found with another value (`found` holds
 * it); `pending` not known yet what to expect (Stalwart has not given the
 * domain's records yet); `error` the resolvers did not answer.
 */
export const DNS_CHECK_STATUSES = [
  'ok',
  'missing',
  'different',
  'pending',
  'error',
  'unchecked',
] as const;
export type DnsCheckStatus = (typeof DNS_CHECK_STATUSES)[number];

/** One expected record and what the resolvers found. */
export interface DomainRecordCheck {
  kind: DomainRecordKind;
  /** `MX` or `TXT`. */
  type: string;
  /** Fully qualified, lower case, without the trailing dot. */
  name: string;
  /** The record data to publish (TXT: the whole string, unquoted); absent while pending. */
  expected?: string;
  /** What was found at that name (TXT strings joined), absent when missing. */
  found?: string[];
  status: DnsCheckStatus;
  /** For people, e.g. why the found value differs, or the resolver error. */
  message?: string;
  /** The exact line to publish in a zone file, e.g. `_dmarc.acme.example. IN TXT "v=DMARC1; p=none"`. */
  publish?: string;
}

/** One domain of a tenant (`GET /api/provisioning/tenants/:name/domains`). */
export interface TenantDomain {
  domain: string;
  records: DomainRecordCheck[];
  /** Every record ok at the last check. */
  verified: boolean;
  /** When every record was first found ok (kept when a record later breaks). */
  verifiedAt?: string;
  lastCheckedAt?: string;
  nextCheckAt?: string;
  dmarc: DmarcSetting;
}

/** `GET /api/provisioning/tenants/:name/domains`. */
export interface TenantDomainList {
  tenant: string;
  items: TenantDomain[];
}
