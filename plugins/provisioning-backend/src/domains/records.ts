/*
 * A mail domain's expected DNS records and how what the resolvers found
 * compares with them (docs/provisioning.md#domains). Pure functions: the
 * lookups are DnsResolver's, the storage DomainStore's.
 */
import {
  DmarcSetting,
  DnsRecord,
  DomainRecordCheck,
  DomainRecordKind,
} from '@internal/plugin-provisioning-common';

/** One record the domain should hold; `expected` is absent while Stalwart has not given it. */
export interface ExpectedRecord {
  kind: DomainRecordKind;
  type: 'MX' | 'TXT';
  name: string;
  expected?: string;
}

/** What one lookup of a name and type answered. */
export type LookupResult =
  | { kind: 'found'; values: string[] }
  | { kind: 'none' }
  | { kind: 'error'; message: string };

/** Lower case, no trailing dot. */
export const hostName = (name: string) =>
  name.trim().toLowerCase().replace(/\.+$/, '');

const isSpf = (v: string) => /^v=spf1(\s|$)/i.test(v.trim());
const isDmarc = (v: string) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(v.trim());
const isOwnership = (v: string) => /^dezky-verification=/i.test(v.trim());

/** The TXT value of the ownership record. */
export const ownershipValue = (token: string) => `dezky-verification=${token}`;

/** The DMARC record a setting asks for. */
export function dmarcValue(setting: DmarcSetting): string {
  return `v=DMARC1; p=${setting.policy}${
    setting.rua ? `; rua=mailto:${setting.rua}` : ''
  }`;
}

/**
 * The records a domain should hold: MX, SPF and DKIM as Stalwart's zone
 * file asks (`zone` undefined: not read yet — they are pending), DMARC from
 * the tenant's setting, and the ownership record. Stalwart's own DMARC,
 * TLS-RPT, SRV and CNAME lines are not checked.
 */
export function expectedRecords(options: {
  domain: string;
  token: string;
  dmarc: DmarcSetting;
  zone?: DnsRecord[];
}): ExpectedRecord[] {
  const domain = hostName(options.domain);
  const out: ExpectedRecord[] = [];
  const zone = options.zone?.map(r => ({ ...r, name: hostName(r.name) }));
  const mx = zone?.filter(r => r.type === 'MX' && r.name === domain) ?? [];
  const spf =
    zone?.filter(
      r => r.type === 'TXT' && r.name === domain && isSpf(r.value),
    ) ?? [];
  const dkim =
    zone?.filter(
      r => r.type === 'TXT' && r.name.endsWith(`._domainkey.${domain}`),
    ) ?? [];
  if (mx.length === 0) out.push({ kind: 'mx', type: 'MX', name: domain });
  for (const r of mx) {
    out.push({ kind: 'mx', type: 'MX', name: domain, expected: r.value });
  }
  if (spf.length === 0) out.push({ kind: 'spf', type: 'TXT', name: domain });
  for (const r of spf) {
    out.push({ kind: 'spf', type: 'TXT', name: domain, expected: r.value });
  }
  if (dkim.length === 0) {
    out.push({ kind: 'dkim', type: 'TXT', name: `_domainkey.${domain}` });
  }
  for (const r of [...dkim].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push({ kind: 'dkim', type: 'TXT', name: r.name, expected: r.value });
  }
  out.push({
    kind: 'dmarc',
    type: 'TXT',
    name: `_dmarc.${domain}`,
    expected: dmarcValue(options.dmarc),
  });
  out.push({
    kind: 'ownership',
    type: 'TXT',
    name: `_dezky.${domain}`,
    expected: ownershipValue(options.token),
  });
  return out;
}

/** The lookups a domain's check needs (each name and type once). */
export function lookupsOf(
  records: ExpectedRecord[],
): Array<{ type: 'MX' | 'TXT'; name: string }> {
  const seen = new Map<string, { type: 'MX' | 'TXT'; name: string }>();
  for (const r of records) {
    if (r.expected === undefined) continue;
    seen.set(`${r.type} ${r.name}`, { type: r.type, name: r.name });
  }
  return [...seen.values()];
}

/** `10 mail.example.` → `10 mail.example` (host lower case, no trailing dot). */
export function normalizeMx(value: string): string {
  const [priority, host] = value.trim().split(/\s+/);
  return `${Number(priority)} ${hostName(host ?? '')}`;
}

/** SPF: case and runs of spaces do not matter. */
export const normalizeSpf = (v: string) =>
  v.trim().replace(/\s+/g, ' ').toLowerCase();

/** DKIM tag values compared without case (the key `p=` keeps its case). */
const DKIM_CASELESS_TAGS = new Set(['v', 'k', 'h', 's', 't']);

/**
 * A DKIM or DMARC tag list as `tag=value` strings in order: tags lower
 * case; spaces around `;` and `=` and inside values (folding whitespace,
 * a key split by spaces) removed; empty tags (a trailing `;`) dropped.
 * DMARC values are compared without case; DKIM's for the tags above.
 */
export function tagList(value: string, kind: 'dkim' | 'dmarc'): string[] {
  return value
    .split(';')
    .map(t => t.trim())
    .filter(Boolean)
    .map(t => {
      const eq = t.indexOf('=');
      const tag = (eq < 0 ? t : t.slice(0, eq)).trim().toLowerCase();
      let v = eq < 0 ? '' : t.slice(eq + 1).replace(/\s+/g, '');
      if (kind === 'dmarc' || DKIM_CASELESS_TAGS.has(tag)) {
        v = v.toLowerCase();
      }
      return `${tag}=${v}`;
    });
}

/** Same tags and values, `v=` first, the rest in any order. */
function sameTags(a: string, b: string, kind: 'dkim' | 'dmarc'): boolean {
  const ta = tagList(a, kind);
  const tb = tagList(b, kind);
  if (ta.length !== tb.length || ta[0] !== tb[0]) return false;
  const rest = new Set(ta.slice(1));
  return tb.slice(1).every(t => rest.has(t));
}

const same: Record<
  DomainRecordKind,
  (expected: string, found: string) => boolean
> = {
  mx: (e, f) => normalizeMx(e) === normalizeMx(f),
  spf: (e, f) => normalizeSpf(e) === normalizeSpf(f),
  dkim: (e, f) => sameTags(e, f, 'dkim'),
  dmarc: (e, f) => sameTags(e, f, 'dmarc'),
  ownership: (e, f) => e.trim() === f.trim(),
};

/**
 * Which of the values found at the record's name are "its" record: at
 * the apex only the `v=spf1` strings are SPF (other TXT there belong to
 * others); `_dmarc`, `_dezky` and a DKIM selector are names of their own,
 * so any TXT there is the record, preferring those that look like it.
 */
function candidates(kind: DomainRecordKind, values: string[]): string[] {
  switch (kind) {
    case 'spf':
      return values.filter(isSpf);
    case 'dmarc': {
      const like = values.filter(isDmarc);
      return like.length ? like : values;
    }
    case 'ownership': {
      const like = values.filter(isOwnership);
      return like.length ? like : values;
    }
    default:
      return values;
  }
}

/** Quoted TXT data: strings of at most 255 characters, `"` and `\` escaped. */
export function quoteTxt(value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length || i === 0; i += 255) {
    parts.push(value.slice(i, i + 255));
  }
  return parts.map(p => `"${p.replace(/(["\\])/g, '\\$1')}"`).join(' ');
}

/** The zone-file line to publish. */
export function publishLine(r: ExpectedRecord): string | undefined {
  if (r.expected === undefined) return undefined;
  const data = r.type === 'TXT' ? quoteTxt(r.expected) : r.expected;
  return `${r.name}. IN ${r.type} ${data}`;
}

/** How one expected record compares with what its lookup answered. */
export function compareRecord(
  r: ExpectedRecord,
  lookup: LookupResult | undefined,
): DomainRecordCheck {
  const base = {
    kind: r.kind,
    type: r.type,
    name: r.name,
    ...(r.expected !== undefined ? { expected: r.expected } : {}),
  };
  const publish = publishLine(r);
  const withPublish = publish ? { publish } : {};
  if (r.expected === undefined) {
    return {
      ...base,
      status: 'pending',
      message:
        'not known yet: Stalwart has not given the records of this domain',
    };
  }
  if (!lookup) {
    return {
      ...base,
      ...withPublish,
      status: 'error',
      message: 'not looked up',
    };
  }
  if (lookup.kind === 'error') {
    return {
      ...base,
      ...withPublish,
      status: 'error',
      message: lookup.message,
    };
  }
  const values = lookup.kind === 'found' ? lookup.values : [];
  const mine = candidates(r.kind, values);
  if (mine.length === 0) {
    return { ...base, ...withPublish, status: 'missing' };
  }
  const expected = r.expected;
  if (r.kind === 'spf' && mine.length > 1) {
    return {
      ...base,
      ...withPublish,
      found: mine,
      status: 'different',
      message: `${mine.length} SPF records: a domain must publish exactly one (RFC 7208)`,
    };
  }
  if (mine.some(v => same[r.kind](expected, v))) {
    return { ...base, ...withPublish, found: mine, status: 'ok' };
  }
  return { ...base, ...withPublish, found: mine, status: 'different' };
}
