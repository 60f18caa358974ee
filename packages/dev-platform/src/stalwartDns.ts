/*
 * DKIM keys, selectors and the BIND zone file of the Stalwart stand-in,
 * following Stalwart 0.16 (crates/common/src/network/{dkim.rs,dns/records.rs})
 * and dns-update's BindSerializer.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
} from 'node:crypto';

export type DkimAlgorithm =
  | 'Dkim1Ed25519Sha256'
  | 'Dkim1RsaSha256'
  | 'Dkim2Ed25519Sha256'
  | 'Dkim2RsaSha256';

export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = [
  'Dkim1Ed25519Sha256',
  'Dkim1RsaSha256',
  'Dkim2Ed25519Sha256',
  'Dkim2RsaSha256',
];

/** The server name the zone file points MX/CNAME/SRV records at. */
export const STALWART_HOSTNAME = 'mail.dev-platform.test';

export function isRsa(algorithm: string): boolean {
  return algorithm.endsWith('RsaSha256');
}

/** PEM private key of a new key pair: RSA-2048 as PKCS#1, Ed25519 as PKCS#8 (as Stalwart writes them). */
function generatePem(algorithm: DkimAlgorithm): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject) => {
      if (err) reject(err);
      else
        resolve(
          isRsa(algorithm)
            ? priv.export({ type: 'pkcs1', format: 'pem' }).toString()
            : priv.export({ type: 'pkcs8', format: 'pem' }).toString(),
        );
    };
    if (isRsa(algorithm)) generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ed25519', {}, done);
  });
}

/** Distinct RSA keys generated before they are reused. */
const RSA_KEYS = 32;

/**
 * Asynchronous key generation (the thread pool, not the event loop), the next
 * RSA key generated ahead so a new domain's keys are usually ready at once.
 * A stand-in's shortcut: after the first 32 domains the RSA keys are reused
 * in turn (RSA-2048 generation costs ~50 ms of CPU, which would dominate a
 * bench of thousands of domains); Ed25519 keys are cheap and always new.
 * Real Stalwart generates a key pair per domain.
 */
export class DkimKeyPool {
  private readonly rsa: Promise<string>[] = [];
  private taken = 0;

  warmUp() {
    if (this.rsa.length === 0) this.generateRsa();
  }

  take(algorithm: DkimAlgorithm): Promise<string> {
    if (!isRsa(algorithm)) return generatePem(algorithm);
    const i = this.taken++;
    while (this.rsa.length < Math.min(i + 2, RSA_KEYS)) this.generateRsa();
    return this.rsa[i % RSA_KEYS];
  }

  private generateRsa() {
    const key = generatePem('Dkim1RsaSha256');
    // a failure is reported by take(), not as an unhandled rejection
    key.catch(() => {});
    this.rsa.push(key);
  }
}

/**
 * The p= value of the DKIM record: base64 of the DER public key — RSA as
 * PKCS#1 RSAPublicKey (what Stalwart's generate_dkim_public_key encodes),
 * Ed25519 as the raw 32-byte key (RFC 8463).
 */
export function dkimPublicKey(privatePem: string): string {
  const pub = createPublicKey(createPrivateKey(privatePem));
  if (pub.asymmetricKeyType === 'rsa') {
    return pub.export({ type: 'pkcs1', format: 'der' }).toString('base64');
  }
  const spki = pub.export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - 32).toString('base64');
}

/** The key type of a PEM private key ('rsa', 'ed25519', …) or undefined when it does not parse. */
export function privateKeyType(pem: string): string | undefined {
  try {
    return createPrivateKey(pem).asymmetricKeyType;
  } catch {
    return undefined;
  }
}

function strftime(format: string, date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const map: Record<string, string> = {
    Y: String(date.getUTCFullYear()),
    y: pad(date.getUTCFullYear() % 100),
    m: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    H: pad(date.getUTCHours()),
    M: pad(date.getUTCMinutes()),
    S: pad(date.getUTCSeconds()),
    j: pad(
      Math.floor(
        (date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86400_000,
      ) + 1,
      3,
    ),
    Z: 'UTC',
    z: '+0000',
    '%': '%',
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const spec = format[++i];
    if (spec === undefined || !(spec in map)) {
      throw new Error(`invalid date format '${format}'`);
    }
    out += map[spec];
  }
  return out;
}

const SELECTOR_CHAR = /[A-Za-z0-9._-]/;

/**
 * A selector from a template (Stalwart's generate_dkim_selector):
 * {algorithm} rsa|ed25519, {hash} sha256, {version} 1|2, {date-<strftime>},
 * {epoch}, {random}; other characters than [A-Za-z0-9._-] are dropped.
 */
export function generateSelector(
  template: string,
  algorithm: DkimAlgorithm,
  now = new Date(),
): string {
  let out = '';
  let rest = template;
  const keep = (s: string) =>
    [...s].filter(c => SELECTOR_CHAR.test(c)).join('');
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      out += keep(rest);
      break;
    }
    out += keep(rest.slice(0, open));
    const close = rest.indexOf('}', open + 1);
    if (close < 0) throw new Error("unclosed '{' in template");
    const variable = rest.slice(open + 1, close);
    if (variable === 'algorithm') out += isRsa(algorithm) ? 'rsa' : 'ed25519';
    else if (variable === 'hash') out += 'sha256';
    else if (variable === 'version')
      out += algorithm.startsWith('Dkim2') ? '2' : '1';
    else if (variable === 'epoch')
      out += String(Math.floor(now.getTime() / 1000));
    else if (variable === 'random')
      out += Math.random().toString(36).slice(2, 10).padEnd(8, '0');
    else if (variable.startsWith('date-')) {
      const format = variable.slice(5);
      if (!format) throw new Error('empty strftime format in {date-}');
      out += keep(strftime(format, now));
    } else throw new Error(`unrecognized variable '{${variable}}'`);
    rest = rest.slice(close + 1);
  }
  if (!out) throw new Error('Selector cannot be empty');
  return out;
}

type DnsRecord =
  | { name: string; type: 'TXT'; value: string }
  | { name: string; type: 'MX'; priority: number; exchange: string }
  | { name: string; type: 'CNAME'; target: string }
  | {
      name: string;
      type: 'SRV';
      priority: number;
      weight: number;
      port: number;
      target: string;
    };

function escapeTxt(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** dns-update BindSerializer: TXT values over 255 bytes become a parenthesised list of 255-byte chunks. */
export function serializeBind(records: DnsRecord[]): string {
  let out = '';
  for (const r of records) {
    switch (r.type) {
      case 'MX':
        out += `${r.name} IN MX ${r.priority} ${r.exchange}\n`;
        break;
      case 'CNAME':
        out += `${r.name} IN CNAME ${r.target}\n`;
        break;
      case 'SRV':
        out += `${r.name} IN SRV ${r.priority} ${r.weight} ${r.port} ${r.target}\n`;
        break;
      case 'TXT': {
        const bytes = Buffer.from(r.value, 'utf8');
        if (bytes.length <= 255) {
          out += `${r.name} IN TXT "${escapeTxt(r.value)}"\n`;
        } else {
          out += `${r.name} IN TXT (\n`;
          for (let i = 0; i < bytes.length; i += 255) {
            const chunk = bytes.subarray(i, i + 255).toString('utf8');
            out += `    "${escapeTxt(chunk)}"\n`;
          }
          out += ')\n';
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

export interface ZoneDkimKey {
  algorithm: string;
  selector: string;
  publicKey: string;
}

/**
 * The domain's zone file in Stalwart's record order (DKIM, TLSA, SPF, MX,
 * DMARC, SRV, MTA-STS, TLS-RPT, CAA, autoconfig, legacy autoconfig,
 * autodiscover). No TLSA/MTA-STS/CAA: the stand-in has no certificates, no
 * MTA-STS policy and no ACME provider.
 */
export function buildZoneFile(
  domain: { name: string; reportAddressUri?: string | null },
  dkimKeys: ZoneDkimKey[],
): string {
  const d = domain.name;
  const host = STALWART_HOSTNAME;
  const records: DnsRecord[] = [];
  for (const key of dkimKeys) {
    const k = isRsa(key.algorithm) ? 'rsa' : 'ed25519';
    records.push({
      name: `${key.selector}._domainkey.${d}.`,
      type: 'TXT',
      value: `v=DKIM1; k=${k}; h=sha256; p=${key.publicKey}`,
    });
  }
  if (host.endsWith(`.${d}`)) {
    records.push({ name: `${host}.`, type: 'TXT', value: 'v=spf1 a -all' });
  }
  records.push({ name: `${d}.`, type: 'TXT', value: 'v=spf1 mx -all' });
  records.push({
    name: `${d}.`,
    type: 'MX',
    priority: 10,
    exchange: `${host}.`,
  });
  const uri = domain.reportAddressUri;
  const rua = (u: string) =>
    u.startsWith('mailto:') && !u.includes('@') ? `${u}@${d}` : u;
  if (uri) {
    records.push({
      name: `_dmarc.${d}.`,
      type: 'TXT',
      value: `v=DMARC1; p=reject; rua=${rua(uri)}`,
    });
  }
  for (const [service, port] of [
    ['jmap', 443],
    ['caldavs', 443],
    ['carddavs', 443],
    ['imaps', 993],
    ['pop3s', 995],
    ['submissions', 465],
  ] as const) {
    records.push({
      name: `_${service}._tcp.${d}.`,
      type: 'SRV',
      priority: 0,
      weight: 1,
      port,
      target: `${host}.`,
    });
  }
  if (uri) {
    records.push({
      name: `_smtp._tls.${d}.`,
      type: 'TXT',
      value: `v=TLSRPTv1; rua=${rua(uri)}`,
    });
  }
  const pacc = createHash('sha256')
    .update(
      JSON.stringify({
        protocols: { jmap: { url: `https://${host}/jmap/session` } },
        authentication: { 'oauth-public': { issuer: `https://${host}` } },
      }),
    )
    .digest('base64');
  records.push({
    name: `ua-auto-config.${d}.`,
    type: 'CNAME',
    target: `${host}.`,
  });
  records.push({
    name: `_ua-auto-config.${d}.`,
    type: 'TXT',
    value: `v=UAAC1; a=sha256; d=${pacc}`,
  });
  records.push({ name: `autoconfig.${d}.`, type: 'CNAME', target: `${host}.` });
  records.push({
    name: `autodiscover.${d}.`,
    type: 'CNAME',
    target: `${host}.`,
  });
  return serializeBind(records);
}
