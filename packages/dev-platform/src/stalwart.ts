/*
 * Stalwart 0.16 stand-in: the JMAP management API (/jmap, object types x:*)
 * for Domain, DkimSignature, Account and MailingList, with Stalwart's
 * encodings, SetErrors, automatic DKIM keys and computed dnsZoneFile.
 *
 * Spec: /work/shared/design/apis/stalwart.md; behaviour read from
 * stalwartlabs/stalwart @ d72608f3 (crates/http, crates/jmap/src/registry,
 * crates/jmap-proto/src/error, crates/registry/src/schema).
 */
import {
  deepClone,
  emptyResponse,
  header,
  isObject,
  jsonResponse,
  nowIsoSeconds,
  Obj,
  StandIn,
  StandInRequest,
  StandInResponse,
} from './http';
import {
  buildZoneFile,
  DKIM_ALGORITHMS,
  DkimAlgorithm,
  DkimKeyPool,
  dkimPublicKey,
  generateSelector,
  isRsa,
  privateKeyType,
} from './stalwartDns';
import { DEV_PLATFORM_CREDENTIALS } from './types';

const CREDS = DEV_PLATFORM_CREDENTIALS.stalwart;
const MASKED = '****';
const MAX_CALLS = 16;
const MAX_OBJECTS = 500;
const MAX_SIZE_REQUEST = 10_000_000;
const PROBLEM = 'application/problem+json';
const CORE = 'urn:ietf:params:jmap:core';
const STALWART = 'urn:stalwart:jmap';
const KNOWN_CAPABILITIES = [
  CORE,
  'urn:ietf:params:jmap:mail',
  'urn:ietf:params:jmap:submission',
  'urn:ietf:params:jmap:vacationresponse',
  'urn:ietf:params:jmap:contacts',
  'urn:ietf:params:jmap:calendars',
  'urn:ietf:params:jmap:websocket',
  'urn:ietf:params:jmap:sieve',
  'urn:ietf:params:jmap:blob',
  'urn:ietf:params:jmap:quota',
  'urn:ietf:params:jmap:principals',
  'urn:ietf:params:jmap:principals:owner',
  'urn:ietf:params:jmap:filenode',
  'urn:ietf:params:jmap:principals:availability',
  'urn:ietf:params:jmap:contacts:parse',
  'urn:ietf:params:jmap:calendars:parse',
  'urn:ietf:params:jmap:mail:share',
  STALWART,
  'urn:ietf:params:jmap:webpush-vapid',
  'urn:ietf:params:jmap:emailpush',
];
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

type ObjectType = 'Domain' | 'DkimSignature' | 'Account' | 'MailingList';
const OBJECT_TYPES: readonly ObjectType[] = [
  'Domain',
  'DkimSignature',
  'Account',
  'MailingList',
];

/** The fallback administrator (admin / API key), not an account. */
const ADMIN_PRINCIPAL_ID = encodeId(0xffffffff);

interface Principal {
  id: string;
  name: string;
  isAdmin: boolean;
}

/** A JMAP SetError. */
type SetError = Obj & { type: string };

class MethodError extends Error {
  constructor(readonly type: string, description: string) {
    super(description);
  }
}

function encodeId(n: number): string {
  if (n === 0) return 'a';
  let out = '';
  let v = n;
  while (v > 0) {
    out = ID_ALPHABET[v % 32] + out;
    v = Math.floor(v / 32);
  }
  return out;
}

function problem(
  status: number,
  body: Obj,
  headers: Record<string, string | string[]> = {},
): StandInResponse {
  return jsonResponse(status, body, headers, PROBLEM);
}

function blank(status: number, title: string, detail: string): Obj {
  return { type: 'about:blank', status, title, detail };
}

function unauthorized(): StandInResponse {
  return problem(
    401,
    blank(401, 'Unauthorized', 'You have to authenticate first.'),
    {
      'www-authenticate': [
        'Bearer realm="Stalwart Server", resource_metadata="/.well-known/oauth-protected-resource"',
        'Basic realm="Stalwart Server"',
      ],
    },
  );
}

const DOMAIN_RE =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LOCAL_PART_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const COMMON_PASSWORDS = new Set([
  'password',
  'passw0rd',
  'p@ssw0rd',
  'p@ssword',
  'qwerty',
  'qwertyuiop',
  'azerty',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'administrator',
  'monkey',
  'dragon',
  'football',
  'baseball',
  'sunshine',
  'princess',
  'master',
  'secret',
  'changeme',
  'trustno1',
  'superman',
  'starwars',
  'abc123',
  'test',
  'guest',
  'default',
  'hallo',
  'passwort',
  'geheim',
  'sommer',
  'summer',
  'winter',
  'spring',
  'autumn',
]);

/**
 * Stalwart's is_secure_password (min 8, max 128, zxcvbn score >= "three"),
 * with zxcvbn approximated: common passwords (also with digits/symbols
 * appended), few distinct characters, keyboard/alphabet sequences and a
 * character-class entropy estimate below 50 bits are "too weak".
 */
export function passwordProblem(password: string): string | undefined {
  if (password.length > 128)
    return 'Password must be at most 128 characters long.';
  if (password.length < 8)
    return 'Password must be at least 8 characters long.';
  const lower = password.toLowerCase();
  const stem = lower.replace(/[^a-z]+$/, '').replace(/^[^a-z]+/, '');
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(stem)) {
    return 'Password is too weak. This is similar to a commonly used password.';
  }
  if (new Set(password).size <= 3) {
    return 'Password is too weak. Repeats like "aaa" are easy to guess.';
  }
  const sequences = [
    'abcdefghijklmnopqrstuvwxyz',
    '01234567890',
    'qwertyuiopasdfghjklzxcvbnm',
    'qwertzuiopasdfghjklyxcvbnm',
  ];
  if (
    sequences.some(
      seq => seq.includes(lower) || [...seq].reverse().join('').includes(lower),
    )
  ) {
    return 'Password is too weak. Sequences like abc or 6543 are easy to guess.';
  }
  let charset = 0;
  if (/[a-z]/.test(password)) charset += 26;
  if (/[A-Z]/.test(password)) charset += 26;
  if (/[0-9]/.test(password)) charset += 10;
  if (/[^A-Za-z0-9]/.test(password)) charset += 33;
  const bits = password.length * Math.log2(Math.max(charset, 2));
  if (bits < 50) {
    return 'Password is too weak. Add another word or two. Uncommon words are better.';
  }
  return undefined;
}

function compareStrings(x: string, y: string): number {
  if (x < y) return -1;
  return x > y ? 1 : 0;
}

function isHashedSecret(secret: string): boolean {
  return /^\$[a-z0-9-]+\$/i.test(secret) || /^\{[A-Z0-9-]+\}/.test(secret);
}

function isSetMap(value: unknown): value is Record<string, boolean> {
  return (
    isObject(value) && Object.values(value).every(v => typeof v === 'boolean')
  );
}

/** Stalwart List<T>: an object keyed "0", "1", … (arrays are accepted and converted). */
function toList(value: unknown): Obj | undefined {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((v, i) => [String(i), v]));
  }
  return isObject(value) ? value : undefined;
}

/** A variant object {"@type": …}: checked against the allowed variants and completed with defaults. */
function normalizeVariant(
  value: unknown,
  variants: Record<string, Obj>,
  property: string,
): { value?: Obj; error?: SetError } {
  if (!isObject(value) || typeof value['@type'] !== 'string') {
    return {
      error: {
        type: 'invalidProperties',
        properties: [property],
        description: 'Expected an object with a "@type" property',
      },
    };
  }
  const defaults = variants[value['@type']];
  if (!defaults) {
    return {
      error: {
        type: 'invalidProperties',
        properties: [property],
        description: `Invalid variant "${value['@type']}"`,
      },
    };
  }
  for (const key of Object.keys(value)) {
    if (key !== '@type' && !(key in defaults)) {
      return {
        error: {
          type: 'invalidProperties',
          properties: [`${property}/${key}`],
          description: 'Invalid property',
        },
      };
    }
  }
  return {
    value: { '@type': value['@type'], ...deepClone(defaults), ...value },
  };
}

const DKIM_MANAGEMENT_VARIANTS: Record<string, Obj> = {
  Automatic: {
    algorithms: { Dkim1Ed25519Sha256: true, Dkim1RsaSha256: true },
    selectorTemplate: 'v{version}-{algorithm}-{date-%Y%m%d}',
    rotateAfter: 7776000000,
    retireAfter: 604800000,
    deleteAfter: 2592000000,
  },
  Manual: {},
};
const CERTIFICATE_VARIANTS: Record<string, Obj> = {
  Manual: {},
  Automatic: { acmeProviderId: null, subjectAlternativeNames: {} },
};
const DNS_VARIANTS: Record<string, Obj> = {
  Manual: {},
  Automatic: {
    dnsServerId: null,
    origin: null,
    publishRecords: {
      autoConfig: true,
      autoConfigLegacy: true,
      autoDiscover: true,
      caa: true,
      dkim: true,
      dmarc: true,
      mtaSts: true,
      mx: true,
      spf: true,
      srv: true,
      tlsRpt: true,
    },
  },
};
const SUB_ADDRESSING_VARIANTS: Record<string, Obj> = {
  Enabled: {},
  Disabled: {},
  Custom: { customRule: null },
};
const ROLE_VARIANTS: Record<string, Obj> = {
  User: {},
  Admin: {},
  Custom: { roleIds: {} },
};
const PERMISSION_VARIANTS: Record<string, Obj> = {
  Inherit: {},
  Merge: { enabledPermissions: {}, disabledPermissions: {} },
  Replace: { enabledPermissions: {}, disabledPermissions: {} },
};
const ENCRYPTION_VARIANTS: Record<string, Obj> = {
  Disabled: {},
  Aes128: { publicKey: null, allowSpamTraining: false },
  Aes256: { publicKey: null, allowSpamTraining: false },
};

interface TypeSpec {
  /** Writable and read-only properties in render order, with defaults. */
  defaults(variant: string | undefined): Obj | undefined;
  serverSet: string[];
  /** Variants of the object itself ("@type"), if any. */
  variants?: string[];
}

const SPECS: Record<ObjectType, TypeSpec> = {
  Domain: {
    defaults: () => ({
      name: '',
      aliases: {},
      isEnabled: true,
      createdAt: null,
      description: null,
      logo: null,
      certificateManagement: { '@type': 'Manual' },
      dkimManagement: {
        '@type': 'Automatic',
        ...deepClone(DKIM_MANAGEMENT_VARIANTS.Automatic),
      },
      dnsManagement: { '@type': 'Manual' },
      memberTenantId: null,
      directoryId: null,
      catchAllAddress: null,
      subAddressing: { '@type': 'Enabled' },
      allowRelaying: false,
      reportAddressUri: 'mailto:postmaster',
    }),
    serverSet: ['createdAt', 'dnsZoneFile'],
  },
  DkimSignature: {
    variants: [...DKIM_ALGORITHMS],
    defaults: variant => {
      if (!variant || !DKIM_ALGORITHMS.includes(variant as DkimAlgorithm))
        return undefined;
      if (variant.startsWith('Dkim2')) {
        return {
          flags: {},
          privateKey: null,
          domainId: null,
          memberTenantId: null,
          selector: '',
          createdAt: null,
          nextTransitionAt: null,
          stage: 'active',
        };
      }
      return {
        auid: null,
        canonicalization: 'relaxed/relaxed',
        expire: null,
        headers: {
          From: true,
          To: true,
          Date: true,
          Subject: true,
          'Message-ID': true,
        },
        privateKey: null,
        report: true,
        thirdParty: null,
        thirdPartyHash: null,
        domainId: null,
        memberTenantId: null,
        selector: '',
        createdAt: null,
        nextTransitionAt: null,
        stage: 'active',
      };
    },
    serverSet: ['publicKey', 'createdAt'],
  },
  Account: {
    variants: ['User', 'Group'],
    defaults: variant => {
      if (variant === 'User') {
        return {
          name: '',
          domainId: null,
          credentials: {},
          createdAt: null,
          memberGroupIds: {},
          memberTenantId: null,
          roles: { '@type': 'User' },
          permissions: { '@type': 'Inherit' },
          quotas: {},
          aliases: {},
          description: null,
          locale: 'en_US',
          timeZone: null,
          encryptionAtRest: { '@type': 'Disabled' },
        };
      }
      if (variant === 'Group') {
        return {
          name: '',
          domainId: null,
          createdAt: null,
          memberGroupIds: {},
          memberTenantId: null,
          roles: { '@type': 'User' },
          permissions: { '@type': 'Inherit' },
          quotas: {},
          aliases: {},
          description: null,
        };
      }
      return undefined;
    },
    serverSet: ['createdAt', 'emailAddress', 'usedDiskQuota'],
  },
  MailingList: {
    defaults: () => ({
      name: '',
      domainId: null,
      recipients: {},
      aliases: {},
      description: null,
    }),
    serverSet: ['emailAddress'],
  },
};

/** Sets a JSON-pointer path ("a/b/c", ~0/~1 escapes) inside obj, creating objects on the way; null removes map members. */
function setPointer(obj: Obj, path: string[], value: unknown): boolean {
  let target: Obj = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    if (target[key] === undefined || target[key] === null) target[key] = {};
    if (!isObject(target[key])) return false;
    target = target[key];
  }
  const last = path[path.length - 1];
  if (value === null && path.length > 1) delete target[last];
  else target[last] = value;
  return true;
}

export interface StalwartOptions {
  dkimDelayMs: number;
}

interface RequestContext {
  principal: Principal;
  createdIds: Map<string, string>;
  afterSend: Array<() => void>;
}

export class StalwartStandIn implements StandIn {
  private objects = new Map<ObjectType, Map<string, Obj>>();
  private counters = new Map<ObjectType, number>();
  private states = new Map<ObjectType, number>();
  private publicKeys = new Map<string, string>();
  private timers = new Set<NodeJS.Timeout>();
  private epoch = 0;
  private readonly keys = new DkimKeyPool();

  constructor(private readonly options: StalwartOptions) {
    this.reset();
    this.keys.warmUp();
  }

  reset(): void {
    for (const type of OBJECT_TYPES) {
      this.objects.set(type, new Map());
      this.counters.set(type, 0);
      this.states.set(type, 0);
    }
    this.publicKeys.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.epoch++;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.epoch++;
  }

  tooManyRequests(retryAfterSeconds: number): StandInResponse {
    return problem(
      429,
      blank(
        429,
        'Too Many Requests',
        'Your request has been rate limited. Please try again in a few seconds.',
      ),
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  serverError(): StandInResponse {
    return problem(
      500,
      blank(
        500,
        'Internal Server Error',
        'There was a problem while processing your request. Please contact the system administrator if this problem persists.',
      ),
    );
  }

  state() {
    const render = (type: ObjectType, props?: string[]) =>
      [...this.store(type).keys()].map(id => this.render(type, id, props));
    const domainProps = Object.keys(SPECS.Domain.defaults(undefined)!);
    return {
      domains: render('Domain', domainProps),
      dkimSignatures: render('DkimSignature'),
      accounts: render('Account'),
      mailingLists: render('MailingList'),
    };
  }

  // ---------------------------------------------------------------- routing

  async handle(req: StandInRequest): Promise<StandInResponse> {
    const { path, method } = req;
    if (path === '/.well-known/jmap' && method === 'GET') {
      return emptyResponse(307, { location: '/jmap/session' });
    }
    if ((path === '/jmap' || path === '/jmap/') && method === 'POST') {
      const principal = this.authenticate(req);
      if (!principal) return unauthorized();
      return this.jmap(req, principal);
    }
    if (path === '/jmap/session' && method === 'GET') {
      if (!header(req, 'authorization')) {
        return jsonResponse(200, this.session(req, undefined));
      }
      const principal = this.authenticate(req);
      if (!principal) return unauthorized();
      return jsonResponse(200, this.session(req, principal));
    }
    if (path.startsWith('/jmap') && method === 'OPTIONS') {
      return emptyResponse(204);
    }
    return problem(
      404,
      blank(
        404,
        'Not Found',
        'The requested resource does not exist on this server.',
      ),
    );
  }

  private authenticate(req: StandInRequest): Principal | undefined {
    const value = header(req, 'authorization');
    if (!value) return undefined;
    const [scheme, ...rest] = value.trim().split(/\s+/);
    const credential = rest.join(' ');
    if (scheme.toLowerCase() === 'bearer') {
      return credential === CREDS.apiKey
        ? { id: ADMIN_PRINCIPAL_ID, name: CREDS.username, isAdmin: true }
        : undefined;
    }
    if (scheme.toLowerCase() !== 'basic') return undefined;
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const login = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    if (login === CREDS.username && secret === CREDS.password) {
      return { id: ADMIN_PRINCIPAL_ID, name: CREDS.username, isAdmin: true };
    }
    const account = this.findLogin(login);
    if (!account || account.data['@type'] !== 'User') return undefined;
    const password = Object.values(account.data.credentials ?? {}).find(
      (c: unknown) => isObject(c) && c['@type'] === 'Password',
    ) as Obj | undefined;
    if (!password || password.secret !== secret) return undefined;
    if (!this.hasPermission(account.data, 'authenticate')) return undefined;
    return {
      id: account.id,
      name: this.emailOf(account.data),
      isAdmin: account.data.roles?.['@type'] === 'Admin',
    };
  }

  /** An account by login "name@domain" (domain name or alias) or a bare name unique among accounts. */
  private findLogin(login: string): { id: string; data: Obj } | undefined {
    const accounts = [...this.store('Account').entries()];
    const at = login.lastIndexOf('@');
    if (at < 0) {
      const matches = accounts.filter(
        ([, a]) => a.name === login.toLowerCase(),
      );
      return matches.length === 1
        ? { id: matches[0][0], data: matches[0][1] }
        : undefined;
    }
    const local = login.slice(0, at).toLowerCase();
    const domainName = login.slice(at + 1).toLowerCase();
    const domainId = [...this.store('Domain').entries()].find(
      ([, d]) => d.name === domainName || d.aliases?.[domainName] === true,
    )?.[0];
    const match = accounts.find(
      ([, a]) => a.name === local && a.domainId === domainId,
    );
    return match ? { id: match[0], data: match[1] } : undefined;
  }

  /** The effective state of a permission for an account (roles give User/Admin permissions, disabled ones win). */
  private hasPermission(account: Obj, permission: string): boolean {
    const p = account.permissions ?? { '@type': 'Inherit' };
    const enabled = isObject(p.enabledPermissions) ? p.enabledPermissions : {};
    const disabled = isObject(p.disabledPermissions)
      ? p.disabledPermissions
      : {};
    if (disabled[permission] === true) return false;
    if (p['@type'] === 'Replace') return enabled[permission] === true;
    return true;
  }

  private emailOf(data: Obj): string {
    const domain = this.store('Domain').get(data.domainId);
    return `${data.name}@${domain?.name ?? ''}`;
  }

  private session(req: StandInRequest, principal: Principal | undefined): Obj {
    const base = req.baseUrl;
    const capabilities = {
      [CORE]: {
        maxSizeUpload: 50000000,
        maxConcurrentUpload: 4,
        maxSizeRequest: MAX_SIZE_REQUEST,
        maxConcurrentRequests: 4,
        maxCallsInRequest: MAX_CALLS,
        maxObjectsInGet: MAX_OBJECTS,
        maxObjectsInSet: MAX_OBJECTS,
        collationAlgorithms: [
          'i;ascii-numeric',
          'i;ascii-casemap',
          'i;unicode-casemap',
        ],
      },
      'urn:ietf:params:jmap:mail': {},
      'urn:ietf:params:jmap:submission': {},
      'urn:ietf:params:jmap:blob': {},
      'urn:ietf:params:jmap:quota': {},
      [STALWART]: {},
    };
    const accounts = principal
      ? {
          [principal.id]: {
            name: principal.name,
            isPersonal: true,
            isReadOnly: false,
            accountCapabilities: {
              'urn:ietf:params:jmap:mail': {
                maxMailboxesPerEmail: null,
                maxMailboxDepth: 10,
                maxSizeMailboxName: 255,
                maxSizeAttachmentsPerEmail: 50000000,
                emailQuerySortOptions: ['receivedAt', 'size', 'subject'],
                mayCreateTopLevelMailbox: true,
              },
              [STALWART]: {},
            },
          },
        }
      : {};
    return {
      capabilities,
      accounts,
      primaryAccounts: principal
        ? {
            'urn:ietf:params:jmap:mail': principal.id,
            [STALWART]: principal.id,
          }
        : {},
      username: principal?.name ?? '',
      apiUrl: `${base}/jmap/`,
      downloadUrl: `${base}/jmap/download/{accountId}/{blobId}/{name}?accept={type}`,
      uploadUrl: `${base}/jmap/upload/{accountId}/`,
      eventSourceUrl: `${base}/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}`,
      state: (this.totalState() >>> 0).toString(16),
    };
  }

  private totalState(): number {
    let sum = 0;
    for (const v of this.states.values()) sum += v;
    return sum;
  }

  // ------------------------------------------------------------------ JMAP

  private jmap(req: StandInRequest, principal: Principal): StandInResponse {
    const contentType = header(req, 'content-type');
    if (contentType !== undefined) {
      const mime = contentType.split(';')[0].trim().toLowerCase();
      if (mime !== 'application/json') {
        return problem(400, {
          type: 'urn:ietf:params:jmap:error:notJSON',
          status: 400,
          detail:
            'Failed to parse JSON: The Content-Type header must be application/json.',
        });
      }
    }
    if (req.body.length > MAX_SIZE_REQUEST) {
      return problem(400, {
        type: 'urn:ietf:params:jmap:error:limit',
        status: 400,
        detail: 'The request is larger than the server is willing to process.',
        limit: 'maxSizeRequest',
      });
    }
    const notRequest = (detail: string) =>
      problem(400, {
        type: 'urn:ietf:params:jmap:error:notRequest',
        status: 400,
        detail,
      });
    let request: unknown;
    try {
      request = JSON.parse(req.body.toString('utf8'));
    } catch (e) {
      // Stalwart maps every body parse failure to notRequest.
      return notRequest(`Invalid JMAP request: ${(e as Error).message}`);
    }
    if (!isObject(request))
      return notRequest('Invalid JMAP request: expected an object');
    const using = request.using ?? [];
    if (!Array.isArray(using) || using.some(u => typeof u !== 'string')) {
      return notRequest(
        'Invalid JMAP request: "using" must be an array of strings',
      );
    }
    const unknown = using.find((u: string) => !KNOWN_CAPABILITIES.includes(u));
    if (unknown !== undefined) {
      return problem(400, {
        type: 'urn:ietf:params:jmap:error:unknownCapability',
        status: 400,
        detail: `The Request object used capability '${unknown}', which is not supported by this server.`,
      });
    }
    const calls = request.methodCalls;
    if (
      !Array.isArray(calls) ||
      calls.some(
        c =>
          !Array.isArray(c) ||
          c.length !== 3 ||
          typeof c[0] !== 'string' ||
          !isObject(c[1]) ||
          typeof c[2] !== 'string',
      )
    ) {
      return notRequest(
        'Invalid JMAP request: "methodCalls" must be an array of [name, arguments, callId]',
      );
    }
    if (calls.length > MAX_CALLS) {
      return problem(400, {
        type: 'urn:ietf:params:jmap:error:limit',
        status: 400,
        detail:
          'The request exceeds the maximum number of calls in a single request.',
        limit: 'maxCallsInRequest',
      });
    }
    const ctx: RequestContext = {
      principal,
      createdIds: new Map(
        isObject(request.createdIds)
          ? Object.entries(request.createdIds).map(([k, v]) => [k, String(v)])
          : [],
      ),
      afterSend: [],
    };
    const responses: [string, Obj, string][] = [];
    for (const [name, rawArgs, callId] of calls as [string, Obj, string][]) {
      try {
        const args = this.resolveResultReferences(rawArgs, responses);
        const result = this.call(name, args, ctx, using);
        responses.push([name, result, callId]);
      } catch (e) {
        if (e instanceof MethodError) {
          responses.push([
            'error',
            { type: e.type, description: e.message },
            callId,
          ]);
        } else throw e;
      }
    }
    const body: Obj = {
      methodResponses: responses,
      sessionState: (this.totalState() >>> 0).toString(16),
    };
    if (request.createdIds !== undefined) {
      body.createdIds = Object.fromEntries(ctx.createdIds);
    }
    const response = jsonResponse(200, body);
    response.afterSend = ctx.afterSend;
    return response;
  }

  /** RFC 8620 §3.7 back-references: "#arg": {resultOf, name, path}. */
  private resolveResultReferences(
    args: Obj,
    responses: [string, Obj, string][],
  ): Obj {
    const out: Obj = {};
    for (const [key, value] of Object.entries(args)) {
      if (!key.startsWith('#')) {
        out[key] = value;
        continue;
      }
      const target = key.slice(1);
      if (target in args) {
        throw new MethodError(
          'invalidArguments',
          `Argument ${target} and its reference #${target} are both present.`,
        );
      }
      if (
        !isObject(value) ||
        typeof value.resultOf !== 'string' ||
        typeof value.name !== 'string' ||
        typeof value.path !== 'string'
      ) {
        throw new MethodError(
          'invalidResultReference',
          `Invalid result reference for #${target}.`,
        );
      }
      const source = responses.find(
        ([name, , id]) => id === value.resultOf && name === value.name,
      );
      if (!source) {
        throw new MethodError(
          'invalidResultReference',
          `No ${value.name} response with call id ${value.resultOf}.`,
        );
      }
      const resolved = this.evaluatePointer(source[1], value.path);
      if (resolved === undefined) {
        throw new MethodError(
          'invalidResultReference',
          `Path ${value.path} not found in ${value.name} response.`,
        );
      }
      out[target] = resolved;
    }
    return out;
  }

  private evaluatePointer(value: unknown, path: string): unknown {
    const parts = path
      .split('/')
      .slice(1)
      .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const walk = (v: unknown, rest: string[]): unknown => {
      if (rest.length === 0) return v;
      const [head, ...tail] = rest;
      if (head === '*') {
        if (!Array.isArray(v)) return undefined;
        const mapped = v.map(item => walk(item, tail));
        if (mapped.some(m => m === undefined)) return undefined;
        return mapped.flatMap(m => (Array.isArray(m) ? m : [m]));
      }
      if (Array.isArray(v)) return walk(v[Number(head)], tail);
      if (isObject(v)) return walk(v[head], tail);
      return undefined;
    };
    return walk(value, parts);
  }

  private call(
    name: string,
    args: Obj,
    ctx: RequestContext,
    using: string[],
  ): Obj {
    if (name === 'Core/echo') {
      if (!using.includes(CORE)) {
        throw new MethodError(
          'unknownMethod',
          `Method Core/echo requires capability ${CORE} which is not present in the "using" property.`,
        );
      }
      return args;
    }
    const match = /^x:([A-Za-z]+)\/(get|set|query)$/.exec(name);
    if (!match || !OBJECT_TYPES.includes(match[1] as ObjectType)) {
      throw new MethodError('unknownMethod', name);
    }
    const type = match[1] as ObjectType;
    const op = match[2];
    if (!ctx.principal.isAdmin) {
      throw new MethodError(
        'forbidden',
        op === 'set'
          ? 'You are not authorized to create, update or destroy objects of this type'
          : 'You are not authorized to perform this action',
      );
    }
    const accountId =
      typeof args.accountId === 'string' ? args.accountId : ctx.principal.id;
    if (op === 'get') return this.get(type, args, accountId, ctx);
    if (op === 'query') return this.query(type, args, accountId);
    return this.set(type, args, accountId, ctx);
  }

  private store(type: ObjectType): Map<string, Obj> {
    return this.objects.get(type)!;
  }

  private stateOf(type: ObjectType): string {
    return `s${this.states.get(type)}`;
  }

  private bumpState(type: ObjectType) {
    this.states.set(type, (this.states.get(type) ?? 0) + 1);
  }

  private resolveCreationId(id: string, ctx: RequestContext): string {
    return id.startsWith('#') ? ctx.createdIds.get(id.slice(1)) ?? id : id;
  }

  // ------------------------------------------------------------------- get

  private get(
    type: ObjectType,
    args: Obj,
    accountId: string,
    ctx: RequestContext,
  ): Obj {
    const ids = args.ids;
    if (ids !== undefined && ids !== null && !Array.isArray(ids)) {
      throw new MethodError('invalidArguments', 'ids must be an array or null');
    }
    if (Array.isArray(ids) && ids.length > MAX_OBJECTS) {
      throw new MethodError(
        'requestTooLarge',
        'The number of ids requested by the client exceeds the maximum number the server is willing to process in a single method call.',
      );
    }
    const props = args.properties;
    if (props !== undefined && props !== null && !Array.isArray(props)) {
      throw new MethodError(
        'invalidArguments',
        'properties must be an array or null',
      );
    }
    const store = this.store(type);
    const wanted: string[] = Array.isArray(ids)
      ? ids.map(id => this.resolveCreationId(String(id), ctx))
      : [...store.keys()].slice(0, MAX_OBJECTS);
    const list: Obj[] = [];
    const notFound: string[] = [];
    for (const id of wanted) {
      if (store.has(id)) {
        list.push(
          this.render(type, id, Array.isArray(props) ? props : undefined),
        );
      } else notFound.push(id);
    }
    return { accountId, state: this.stateOf(type), list, notFound };
  }

  /** An object as get renders it: secrets masked, server-computed properties added, "properties" applied. */
  private render(type: ObjectType, id: string, properties?: string[]): Obj {
    const data = deepClone(this.store(type).get(id)!);
    const wants = (p: string) =>
      !properties || properties.length === 0 || properties.includes(p);
    if (type === 'DkimSignature') {
      if (isObject(data.privateKey)) data.privateKey.secret = MASKED;
      if (wants('publicKey') && this.publicKeys.has(id)) {
        data.publicKey = this.publicKeys.get(id);
      }
    }
    if (type === 'Account') {
      for (const credential of Object.values(data.credentials ?? {})) {
        if (isObject(credential) && 'secret' in credential)
          credential.secret = MASKED;
      }
      if (wants('usedDiskQuota')) data.usedDiskQuota = 0;
      if (wants('emailAddress')) data.emailAddress = this.emailOf(data);
    }
    if (type === 'MailingList' && wants('emailAddress')) {
      data.emailAddress = this.emailOf(data);
    }
    if (type === 'Domain' && wants('dnsZoneFile')) {
      data.dnsZoneFile = this.zoneFile(id, data);
    }
    data.id = id;
    if (properties && properties.length > 0) {
      for (const key of Object.keys(data)) {
        if (key !== 'id' && !properties.includes(key)) delete data[key];
      }
    }
    return data;
  }

  private zoneFile(domainId: string, domain: Obj): string {
    const keys = [...this.store('DkimSignature').entries()]
      .filter(
        ([id, sig]) =>
          sig.domainId === domainId &&
          ['active', 'retiring'].includes(sig.stage) &&
          this.publicKeys.has(id),
      )
      .map(([id, sig]) => ({
        algorithm: sig['@type'],
        selector: sig.selector,
        publicKey: this.publicKeys.get(id)!,
      }));
    return buildZoneFile(
      { name: domain.name, reportAddressUri: domain.reportAddressUri },
      keys,
    );
  }

  // ----------------------------------------------------------------- query

  private query(type: ObjectType, args: Obj, accountId: string): Obj {
    const store = this.store(type);
    let ids = [...store.keys()].filter(id =>
      this.matchesFilter(type, store.get(id)!, args.filter),
    );
    if (Array.isArray(args.sort)) {
      for (const comparator of [...args.sort].reverse()) {
        if (!isObject(comparator) || typeof comparator.property !== 'string') {
          throw new MethodError('invalidArguments', 'Invalid sort');
        }
        const prop = comparator.property;
        const asc = comparator.isAscending !== false;
        ids = [...ids].sort((a, b) => {
          const x = String(store.get(a)![prop] ?? '');
          const y = String(store.get(b)![prop] ?? '');
          return compareStrings(x, y) * (asc ? 1 : -1);
        });
      }
    }
    const total = ids.length;
    const position =
      typeof args.position === 'number' && args.position > 0
        ? args.position
        : 0;
    const limit =
      typeof args.limit === 'number' && args.limit >= 0
        ? Math.min(args.limit, MAX_OBJECTS)
        : undefined;
    const page = ids.slice(
      position,
      limit === undefined ? undefined : position + limit,
    );
    const result: Obj = {
      accountId,
      queryState: this.stateOf(type),
      canCalculateChanges: false,
      position,
      ids: page,
    };
    if (args.calculateTotal === true) result.total = total;
    if (limit !== undefined) result.limit = limit;
    return result;
  }

  private matchesFilter(type: ObjectType, obj: Obj, filter: unknown): boolean {
    if (filter === undefined || filter === null) return true;
    if (!isObject(filter)) {
      throw new MethodError('invalidArguments', 'Invalid filter');
    }
    if (typeof filter.operator === 'string') {
      const conditions: unknown[] = Array.isArray(filter.conditions)
        ? filter.conditions
        : [];
      const results = conditions.map(c => this.matchesFilter(type, obj, c));
      if (filter.operator === 'AND') return results.every(Boolean);
      if (filter.operator === 'OR') return results.some(Boolean);
      if (filter.operator === 'NOT') return !results.some(Boolean);
      throw new MethodError('invalidArguments', 'Invalid filter operator');
    }
    const allowed: Record<ObjectType, string[]> = {
      Domain: ['text', 'name', 'memberTenantId'],
      DkimSignature: ['domainId', 'memberTenantId'],
      Account: ['text', 'name', 'domainId', 'memberGroupIds', 'memberTenantId'],
      MailingList: ['text', 'name', 'domainId', 'memberTenantId'],
    };
    return Object.entries(filter).every(([key, value]) => {
      if (!allowed[type].includes(key)) {
        throw new MethodError(
          'unsupportedFilter',
          `Unsupported filter property ${key}`,
        );
      }
      const needle = String(value).toLowerCase();
      if (key === 'text') {
        const haystack = [
          obj.name,
          obj.description,
          ...Object.keys(obj.aliases ?? {}),
        ]
          .filter(Boolean)
          .join(' ')
          .toLowerCase();
        return haystack.includes(needle);
      }
      if (key === 'name') {
        // a text index: matches on contained text, not only equality
        return String(obj.name ?? '')
          .toLowerCase()
          .includes(needle);
      }
      if (key === 'memberGroupIds') return obj.memberGroupIds?.[value] === true;
      return obj[key] === value;
    });
  }

  // ------------------------------------------------------------------- set

  private set(
    type: ObjectType,
    args: Obj,
    accountId: string,
    ctx: RequestContext,
  ): Obj {
    const create = args.create ?? {};
    const update = args.update ?? {};
    const destroyArg = args.destroy ?? [];
    if (!isObject(create) || !isObject(update) || !Array.isArray(destroyArg)) {
      throw new MethodError(
        'invalidArguments',
        'create and update must be objects, destroy an array',
      );
    }
    if (
      Object.keys(create).length +
        Object.keys(update).length +
        destroyArg.length >
      MAX_OBJECTS
    ) {
      throw new MethodError(
        'requestTooLarge',
        'The number of ids requested by the client exceeds the maximum number the server is willing to process in a single method call.',
      );
    }
    if (
      typeof args.ifInState === 'string' &&
      args.ifInState !== this.stateOf(type)
    ) {
      throw new MethodError(
        'stateMismatch',
        'An "ifInState" argument was supplied, but it does not match the current state.',
      );
    }
    const oldState = this.stateOf(type);
    const created: Obj = {};
    const notCreated: Obj = {};
    const updated: Obj = {};
    const notUpdated: Obj = {};
    const destroyed: string[] = [];
    const notDestroyed: Obj = {};
    const destroy = destroyArg.map(id =>
      this.resolveCreationId(String(id), ctx),
    );

    for (const [cid, value] of Object.entries(create)) {
      const result = this.createObject(type, value, ctx);
      if ('error' in result) notCreated[cid] = result.error;
      else {
        created[cid] = { id: result.id };
        ctx.createdIds.set(cid, result.id);
      }
    }
    for (const [rawId, patch] of Object.entries(update)) {
      const id = this.resolveCreationId(rawId, ctx);
      if (destroy.includes(id)) {
        notUpdated[rawId] = {
          type: 'willDestroy',
          description: 'ID will be destroyed.',
        };
        continue;
      }
      const error = this.updateObject(type, id, patch, ctx);
      if (error) notUpdated[rawId] = error;
      else updated[id] = null;
    }
    for (const id of destroy) {
      const error = this.destroyObject(type, id);
      if (error) notDestroyed[id] = error;
      else destroyed.push(id);
    }
    const response: Obj = {
      accountId,
      oldState,
      newState: this.stateOf(type),
    };
    // empty maps are omitted, not null
    if (Object.keys(created).length) response.created = created;
    if (Object.keys(updated).length) response.updated = updated;
    if (destroyed.length) response.destroyed = destroyed;
    if (Object.keys(notCreated).length) response.notCreated = notCreated;
    if (Object.keys(notUpdated).length) response.notUpdated = notUpdated;
    if (Object.keys(notDestroyed).length) response.notDestroyed = notDestroyed;
    return response;
  }

  /** Applies a create value or an update patch (whole properties or JSON-pointer keys) onto obj. */
  private applyPatch(
    type: ObjectType,
    obj: Obj,
    patch: unknown,
    isCreate: boolean,
    ctx: RequestContext,
  ): SetError | undefined {
    if (!isObject(patch)) {
      return { type: 'invalidPatch', description: 'Expected an object' };
    }
    const spec = SPECS[type];
    const known = new Set(Object.keys(obj));
    for (const [rawKey, rawValue] of Object.entries(patch)) {
      if (rawKey === '@type') continue;
      const value = this.resolveReferenceValues(rawValue, ctx);
      if ('error' in value) return value.error;
      const path = rawKey
        .split('/')
        .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      const property = path[0];
      if (property === 'id' || spec.serverSet.includes(property)) {
        return {
          type: 'invalidProperties',
          properties: [property],
          description: 'Property is server-set and cannot be modified',
        };
      }
      if (!known.has(property)) {
        return {
          type: 'invalidProperties',
          properties: [rawKey],
          description: 'Invalid property',
        };
      }
      if (path.length === 1) obj[property] = value.value;
      else if (!setPointer(obj, path, value.value)) {
        return {
          type: 'invalidPatch',
          properties: [rawKey],
          description: 'Invalid JSON pointer',
        };
      }
    }
    if (isCreate) obj.createdAt = nowIsoSeconds();
    return undefined;
  }

  /** "#creationId" strings anywhere in a value become the created ids. */
  private resolveReferenceValues(
    value: unknown,
    ctx: RequestContext,
  ): { value: unknown } | { error: SetError } {
    if (typeof value === 'string' && value.startsWith('#')) {
      const id = ctx.createdIds.get(value.slice(1));
      if (!id) {
        return {
          error: {
            type: 'notFound',
            description: `Id reference ${value} not found.`,
          },
        };
      }
      return { value: id };
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const v of value) {
        const r = this.resolveReferenceValues(v, ctx);
        if ('error' in r) return r;
        out.push(r.value);
      }
      return { value: out };
    }
    if (isObject(value)) {
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) {
        let key = k;
        if (k.startsWith('#') && ctx.createdIds.has(k.slice(1))) {
          key = ctx.createdIds.get(k.slice(1))!;
        }
        const r = this.resolveReferenceValues(v, ctx);
        if ('error' in r) return r;
        out[key] = r.value;
      }
      return { value: out };
    }
    return { value };
  }

  private createObject(
    type: ObjectType,
    value: unknown,
    ctx: RequestContext,
  ): { id: string } | { error: SetError } {
    const spec = SPECS[type];
    let variant: string | undefined;
    if (spec.variants) {
      variant = isObject(value) ? value['@type'] : undefined;
      if (variant === undefined && type === 'Account') variant = 'User';
      if (typeof variant !== 'string' || !spec.variants.includes(variant)) {
        return {
          error: {
            type: 'invalidProperties',
            properties: ['@type'],
            description: `Invalid or missing "@type" for ${type}`,
          },
        };
      }
    }
    const defaults = spec.defaults(variant)!;
    const obj: Obj = variant ? { '@type': variant, ...defaults } : defaults;
    const patchError = this.applyPatch(type, obj, value, true, ctx);
    if (patchError) return { error: patchError };
    const error = this.validate(type, obj, undefined, undefined);
    if (error) return { error };
    const n = this.counters.get(type)!;
    this.counters.set(type, n + 1);
    const id = encodeId(n);
    this.store(type).set(id, obj);
    this.bumpState(type);
    this.afterWrite(type, id, obj, undefined, ctx);
    return { id };
  }

  private updateObject(
    type: ObjectType,
    id: string,
    patch: unknown,
    ctx: RequestContext,
  ): SetError | undefined {
    const existing = this.store(type).get(id);
    if (!existing) return { type: 'notFound' };
    if (
      isObject(patch) &&
      typeof patch['@type'] === 'string' &&
      patch['@type'] !== existing['@type']
    ) {
      return {
        type: 'invalidProperties',
        properties: ['@type'],
        description:
          type === 'Account'
            ? 'Cannot change the type of an existing account.'
            : 'Cannot change the type of an existing object.',
      };
    }
    const obj = deepClone(existing);
    const createdAt = obj.createdAt;
    const patchError = this.applyPatch(type, obj, patch, false, ctx);
    if (patchError) return patchError;
    obj.createdAt = createdAt;
    const error = this.validate(type, obj, existing, id);
    if (error) return error;
    this.store(type).set(id, obj);
    this.bumpState(type);
    this.afterWrite(type, id, obj, existing, ctx);
    return undefined;
  }

  private destroyObject(type: ObjectType, id: string): SetError | undefined {
    if (!this.store(type).has(id)) return { type: 'notFound' };
    const linked = this.linkedObjects(type, id);
    if (linked.length > 0) {
      return {
        type: 'objectIsLinked',
        objectId: { object: type, id },
        linkedObjects: linked,
      };
    }
    this.store(type).delete(id);
    this.publicKeys.delete(id);
    this.bumpState(type);
    return undefined;
  }

  /** Foreign keys pointing at the object: Domain ← DkimSignature/Account/MailingList (domainId, aliases), Account(Group) ← memberGroupIds. */
  private linkedObjects(type: ObjectType, id: string): Obj[] {
    const linked: Obj[] = [];
    if (type === 'Domain') {
      for (const [sid, sig] of this.store('DkimSignature')) {
        if (sig.domainId === id)
          linked.push({ object: 'DkimSignature', id: sid });
      }
      for (const t of ['Account', 'MailingList'] as const) {
        for (const [oid, o] of this.store(t)) {
          const aliasLink = Object.values(o.aliases ?? {}).some(
            (a: unknown) => isObject(a) && a.domainId === id,
          );
          if (o.domainId === id || aliasLink)
            linked.push({ object: t, id: oid });
        }
      }
    }
    if (type === 'Account') {
      for (const [oid, o] of this.store('Account')) {
        if (o.memberGroupIds?.[id] === true)
          linked.push({ object: 'Account', id: oid });
      }
    }
    return linked;
  }

  // ------------------------------------------------------------ validation

  private validate(
    type: ObjectType,
    obj: Obj,
    old: Obj | undefined,
    id: string | undefined,
  ): SetError | undefined {
    if (type === 'Domain') return this.validateDomain(obj, id);
    if (type === 'DkimSignature') return this.validateDkim(obj, old);
    if (type === 'Account') return this.validateAccount(obj, old, id);
    return this.validateMailingList(obj, id);
  }

  private required(property: string): SetError {
    return {
      type: 'validationFailed',
      validationErrors: [{ type: 'Required', property }],
    };
  }

  private invalid(property: string, description: string): SetError {
    return { type: 'invalidProperties', properties: [property], description };
  }

  private domainExists(id: unknown): boolean {
    return typeof id === 'string' && this.store('Domain').has(id);
  }

  private foreignKey(object: string, id: unknown): SetError {
    return { type: 'invalidForeignKey', objectId: { object, id: String(id) } };
  }

  private validateVariants(
    obj: Obj,
    entries: Array<[string, Record<string, Obj>]>,
  ): SetError | undefined {
    for (const [property, variants] of entries) {
      const result = normalizeVariant(obj[property], variants, property);
      if (result.error) return result.error;
      obj[property] = result.value;
    }
    return undefined;
  }

  private validateDomain(
    obj: Obj,
    id: string | undefined,
  ): SetError | undefined {
    if (typeof obj.name !== 'string' || obj.name === '')
      return this.required('name');
    obj.name = obj.name.trim().toLowerCase();
    if (!DOMAIN_RE.test(obj.name))
      return this.invalid('name', 'Invalid domain name');
    if (!isSetMap(obj.aliases))
      return this.invalid('aliases', 'Expected a set of domain names');
    const aliases = Object.keys(obj.aliases).filter(a => obj.aliases[a]);
    for (const alias of aliases) {
      if (!DOMAIN_RE.test(alias.toLowerCase()))
        return this.invalid('aliases', `Invalid domain name ${alias}`);
    }
    obj.aliases = Object.fromEntries(aliases.map(a => [a.toLowerCase(), true]));
    for (const key of ['isEnabled', 'allowRelaying']) {
      if (typeof obj[key] !== 'boolean')
        return this.invalid(key, 'Expected a boolean');
    }
    for (const key of [
      'description',
      'reportAddressUri',
      'catchAllAddress',
      'logo',
    ]) {
      if (obj[key] !== null && typeof obj[key] !== 'string')
        return this.invalid(key, 'Expected a string or null');
    }
    if (obj.catchAllAddress !== null && !EMAIL_RE.test(obj.catchAllAddress))
      return this.invalid('catchAllAddress', 'Invalid email address');
    for (const key of ['memberTenantId', 'directoryId']) {
      if (obj[key] !== null)
        return this.foreignKey(
          key === 'directoryId' ? 'Directory' : 'Tenant',
          obj[key],
        );
    }
    const variantError = this.validateVariants(obj, [
      ['certificateManagement', CERTIFICATE_VARIANTS],
      ['dkimManagement', DKIM_MANAGEMENT_VARIANTS],
      ['dnsManagement', DNS_VARIANTS],
      ['subAddressing', SUB_ADDRESSING_VARIANTS],
    ]);
    if (variantError) return variantError;
    if (obj.certificateManagement['@type'] === 'Automatic') {
      return this.invalid('acmeProviderId', 'ACME provider not found');
    }
    if (obj.dnsManagement['@type'] === 'Automatic') {
      return this.foreignKey('DnsServer', obj.dnsManagement.dnsServerId);
    }
    if (
      obj.subAddressing['@type'] === 'Custom' &&
      !isObject(obj.subAddressing.customRule)
    ) {
      return this.required('customRule');
    }
    const dkim = obj.dkimManagement;
    if (dkim['@type'] === 'Automatic') {
      if (typeof dkim.selectorTemplate !== 'string')
        return this.invalid('selectorTemplate', 'Expected a string');
      dkim.selectorTemplate = dkim.selectorTemplate.trim();
      try {
        generateSelector(dkim.selectorTemplate, 'Dkim1RsaSha256');
      } catch (e) {
        return this.invalid('selectorTemplate', (e as Error).message);
      }
      if (
        !isSetMap(dkim.algorithms) ||
        Object.keys(dkim.algorithms).some(
          a => !DKIM_ALGORITHMS.includes(a as DkimAlgorithm),
        )
      ) {
        return this.invalid('algorithms', 'Invalid DKIM signature type');
      }
    }
    // names and aliases must not collide with another domain's
    for (const [otherId, other] of this.store('Domain')) {
      if (otherId === id) continue;
      const taken = new Set([other.name, ...Object.keys(other.aliases ?? {})]);
      if (taken.has(obj.name)) {
        return {
          type: 'primaryKeyViolation',
          properties: ['name'],
          objectId: { object: 'Domain', id: otherId },
        };
      }
      if (aliases.some(a => taken.has(a.toLowerCase()))) {
        return {
          type: 'primaryKeyViolation',
          properties: ['aliases'],
          objectId: { object: 'Domain', id: otherId },
        };
      }
    }
    return undefined;
  }

  private validateDkim(obj: Obj, old: Obj | undefined): SetError | undefined {
    if (obj.domainId === null || obj.domainId === undefined)
      return this.required('domainId');
    if (!this.domainExists(obj.domainId))
      return this.foreignKey('Domain', obj.domainId);
    if (typeof obj.selector !== 'string' || obj.selector.trim() === '')
      return this.required('selector');
    if (!['active', 'pending', 'retiring', 'retired'].includes(obj.stage))
      return this.invalid('stage', 'Invalid rotation stage');
    if (!isObject(obj.privateKey)) return this.required('privateKey');
    if (
      obj.privateKey['@type'] !== 'Text' ||
      typeof obj.privateKey.secret !== 'string'
    ) {
      return this.invalid(
        'privateKey',
        'Expected {"@type":"Text","secret":"<PEM>"}',
      );
    }
    if (obj.privateKey.secret === MASKED && old?.privateKey) {
      obj.privateKey.secret = old.privateKey.secret;
    }
    const keyType = privateKeyType(obj.privateKey.secret);
    const expected = isRsa(obj['@type']) ? 'rsa' : 'ed25519';
    if (keyType !== expected) {
      return this.invalid(
        'privateKey',
        `Failed to parse ${expected} private key`,
      );
    }
    return undefined;
  }

  private validateAccount(
    obj: Obj,
    old: Obj | undefined,
    id: string | undefined,
  ): SetError | undefined {
    if (typeof obj.name !== 'string' || obj.name === '')
      return this.required('name');
    obj.name = obj.name.trim().toLowerCase();
    if (!LOCAL_PART_RE.test(obj.name))
      return this.invalid('name', 'Invalid email local part');
    if (obj.domainId === null || obj.domainId === undefined)
      return this.required('domainId');
    if (!this.domainExists(obj.domainId))
      return this.foreignKey('Domain', obj.domainId);
    const variantError = this.validateVariants(obj, [
      ['roles', ROLE_VARIANTS],
      ['permissions', PERMISSION_VARIANTS],
      ...(obj['@type'] === 'User'
        ? ([['encryptionAtRest', ENCRYPTION_VARIANTS]] as Array<
            [string, Record<string, Obj>]
          >)
        : []),
    ]);
    if (variantError) return variantError;
    for (const key of ['enabledPermissions', 'disabledPermissions']) {
      if (key in obj.permissions && !isSetMap(obj.permissions[key]))
        return this.invalid(key, 'Expected a set of permissions');
    }
    if (
      !isObject(obj.quotas) ||
      Object.values(obj.quotas).some(v => typeof v !== 'number')
    )
      return this.invalid('quotas', 'Expected a map of quotas');
    if (!isSetMap(obj.memberGroupIds))
      return this.invalid('memberGroupIds', 'Expected a set of ids');
    for (const groupId of Object.keys(obj.memberGroupIds)) {
      const group = this.store('Account').get(groupId);
      if (!group || group['@type'] !== 'Group')
        return this.foreignKey('Account', groupId);
    }
    const aliasError = this.validateAliases(obj);
    if (aliasError) return aliasError;
    if (obj['@type'] === 'User') {
      const credentialError = this.validateCredentials(obj, old);
      if (credentialError) return credentialError;
    }
    return this.addressClash(obj, 'Account', id);
  }

  private validateAliases(obj: Obj): SetError | undefined {
    const aliases = toList(obj.aliases);
    if (!aliases) return this.invalid('aliases', 'Expected a list of aliases');
    for (const alias of Object.values(aliases)) {
      if (!isObject(alias) || typeof alias.name !== 'string')
        return this.invalid('aliases', 'Expected {name, domainId, enabled}');
      if (!this.domainExists(alias.domainId))
        return this.foreignKey('Domain', alias.domainId);
      alias.name = alias.name.toLowerCase();
      alias.enabled ??= true;
    }
    obj.aliases = aliases;
    return undefined;
  }

  /** name@domain is unique among accounts and mailing lists (the property reported is assumed). */
  private addressClash(
    obj: Obj,
    type: ObjectType,
    id: string | undefined,
  ): SetError | undefined {
    for (const t of ['Account', 'MailingList'] as const) {
      for (const [otherId, other] of this.store(t)) {
        if (t === type && otherId === id) continue;
        if (other.name === obj.name && other.domainId === obj.domainId) {
          return {
            type: 'primaryKeyViolation',
            properties: ['name'],
            objectId: { object: t, id: otherId },
          };
        }
      }
    }
    return undefined;
  }

  /** Password credentials: one at most, strength-checked, secrets kept when "****" is sent back. */
  private validateCredentials(
    obj: Obj,
    old: Obj | undefined,
  ): SetError | undefined {
    const credentials = toList(obj.credentials);
    if (!credentials)
      return this.invalid('credentials', 'Expected a list of credentials');
    const oldCredentials: Obj[] = Object.values(old?.credentials ?? {});
    // a kept password (matched by credentialId) counts before any new one
    let hasPassword = Object.values(credentials).some(
      c =>
        isObject(c) &&
        oldCredentials.some(
          o => o['@type'] === 'Password' && o.credentialId === c.credentialId,
        ),
    );
    let maxId = -1;
    for (const c of oldCredentials) {
      maxId = Math.max(maxId, decodeId(c.credentialId));
    }
    const normalized: Obj = {};
    for (const [key, credential] of Object.entries(credentials)) {
      if (!isObject(credential))
        return this.invalid('credentials', 'Expected a credential object');
      const previous = oldCredentials.find(
        c =>
          credential.credentialId !== undefined &&
          c.credentialId === credential.credentialId,
      );
      if (previous) {
        if (
          credential['@type'] !== undefined &&
          credential['@type'] !== previous['@type']
        ) {
          return this.invalid(
            'credentials',
            'Credential type cannot be changed.',
          );
        }
        const merged = { ...previous, ...credential };
        if (merged.secret === MASKED) merged.secret = previous.secret;
        if (
          merged['@type'] !== 'Password' &&
          merged.secret !== previous.secret
        ) {
          return {
            type: 'forbidden',
            description:
              'Cannot change app password or API credentials through this method.',
          };
        }
        if (
          merged['@type'] === 'Password' &&
          merged.secret !== previous.secret &&
          !isHashedSecret(merged.secret)
        ) {
          const weak = passwordProblem(String(merged.secret));
          if (weak) return this.invalid('secret', weak);
        }
        normalized[key] = merged;
        continue;
      }
      if (
        credential['@type'] === 'AppPassword' ||
        credential['@type'] === 'ApiKey'
      ) {
        return this.invalid(
          'credentials',
          'Secondary credentials cannot be set directly.',
        );
      }
      if (credential['@type'] !== 'Password') {
        return this.invalid('credentials', 'Invalid credential type');
      }
      if (hasPassword) {
        return this.invalid(
          'credentials',
          'Only one password credential is allowed.',
        );
      }
      if (typeof credential.secret !== 'string') return this.required('secret');
      if (!isHashedSecret(credential.secret)) {
        const weak = passwordProblem(credential.secret);
        if (weak) return this.invalid('secret', weak);
      }
      maxId++;
      normalized[key] = {
        '@type': 'Password',
        credentialId: encodeId(maxId),
        secret: credential.secret,
        expiresAt: credential.expiresAt ?? null,
        allowedIps: credential.allowedIps ?? {},
      };
      hasPassword = true;
    }
    obj.credentials = normalized;
    return undefined;
  }

  private validateMailingList(
    obj: Obj,
    id: string | undefined,
  ): SetError | undefined {
    if (typeof obj.name !== 'string' || obj.name === '')
      return this.required('name');
    obj.name = obj.name.trim().toLowerCase();
    if (!LOCAL_PART_RE.test(obj.name))
      return this.invalid('name', 'Invalid email local part');
    if (obj.domainId === null || obj.domainId === undefined)
      return this.required('domainId');
    if (!this.domainExists(obj.domainId))
      return this.foreignKey('Domain', obj.domainId);
    if (!isSetMap(obj.recipients))
      return this.invalid('recipients', 'Expected a set of addresses');
    for (const address of Object.keys(obj.recipients)) {
      if (!EMAIL_RE.test(address))
        return this.invalid('recipients', `Invalid address ${address}`);
    }
    const aliasError = this.validateAliases(obj);
    if (aliasError) return aliasError;
    return this.addressClash(obj, 'MailingList', id);
  }

  // ------------------------------------------------------------------ DKIM

  private afterWrite(
    type: ObjectType,
    id: string,
    obj: Obj,
    old: Obj | undefined,
    ctx: RequestContext,
  ) {
    if (type === 'DkimSignature') {
      this.publicKeys.set(id, dkimPublicKey(obj.privateKey.secret));
      return;
    }
    if (type !== 'Domain') return;
    const automatic = obj.dkimManagement['@type'] === 'Automatic';
    const wasAutomatic = old?.dkimManagement?.['@type'] === 'Automatic';
    if (automatic && !wasAutomatic) this.scheduleDkim(id, ctx);
  }

  /**
   * Stalwart schedules a task: the keys appear as DkimSignature objects
   * dkimDelayMs after the create response has been written (later if key
   * generation takes longer).
   */
  private scheduleDkim(domainId: string, ctx: RequestContext) {
    const epoch = this.epoch;
    const domain = this.store('Domain').get(domainId)!;
    const algorithms = Object.keys(domain.dkimManagement.algorithms).filter(
      a => domain.dkimManagement.algorithms[a] === true,
    ) as DkimAlgorithm[];
    const keys = Promise.all(algorithms.map(a => this.keys.take(a)));
    keys.catch(() => {});
    ctx.afterSend.push(() => {
      if (epoch !== this.epoch) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        keys
          .then(pems => {
            if (epoch === this.epoch)
              this.insertDkimKeys(domainId, algorithms, pems);
          })
          .catch(() => {});
      }, this.options.dkimDelayMs);
      this.timers.add(timer);
    });
  }

  private insertDkimKeys(
    domainId: string,
    algorithms: DkimAlgorithm[],
    pems: string[],
  ) {
    const domain = this.store('Domain').get(domainId);
    if (!domain || domain.dkimManagement?.['@type'] !== 'Automatic') return;
    const now = new Date();
    algorithms.forEach((algorithm, i) => {
      const active = [...this.store('DkimSignature').values()].some(
        s =>
          s.domainId === domainId &&
          s['@type'] === algorithm &&
          s.stage === 'active',
      );
      if (active) return;
      let selector: string;
      try {
        selector = generateSelector(
          domain.dkimManagement.selectorTemplate,
          algorithm,
          now,
        );
      } catch {
        return;
      }
      const signature: Obj = {
        '@type': algorithm,
        ...SPECS.DkimSignature.defaults(algorithm),
        domainId,
        selector,
        privateKey: { '@type': 'Text', secret: pems[i] },
        createdAt: nowIsoSeconds(),
        stage: 'active',
      };
      const n = this.counters.get('DkimSignature')!;
      this.counters.set('DkimSignature', n + 1);
      const id = encodeId(n);
      this.store('DkimSignature').set(id, signature);
      this.publicKeys.set(id, dkimPublicKey(pems[i]));
    });
    this.bumpState('DkimSignature');
  }
}

function decodeId(id: unknown): number {
  if (typeof id !== 'string') return -1;
  let n = 0;
  for (const c of id) {
    const i = ID_ALPHABET.indexOf(c);
    if (i < 0) return -1;
    n = n * 32 + i;
  }
  return n;
}
