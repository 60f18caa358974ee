/*
 * OpenFeature against the real portal: the official OpenFeature server SDK
 * with its OFREP provider as the client of the real backend
 * (packages/backend/src/index.ts through startPortal: the real flags plugin,
 * catalog, audit chain and Dezky permission policy), authenticated as
 * external callers are in development (the static external-access token of
 * app-config.yaml) and with real sign-in tokens (OIDC through the dev IdP).
 *
 * Every expected value is written here: the seeded tenants of catalog/, the
 * seeded flags of docs/flags.md#seeded-flags, the flags this test creates,
 * and the rollout buckets of docs/flags.md#evaluation computed by hand
 * (`printf 'acme:of_half' | sha256sum` → e22d8637…, 0xe22d8637 % 10000 =
 * 4295). Nothing is computed by the code under test.
 */
import { OFREPApi } from '@openfeature/ofrep-core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { Client, OpenFeature } from '@openfeature/server-sdk';
import { seededEntities } from './testing/catalogFiles';
import { signInThroughOidc } from './testing/oidcSignIn';
import {
  PortalServers,
  portalDatabases,
  startPortal,
  waitForCatalog,
} from './testing/servers';

jest.setTimeout(180_000);

/** app-config.yaml's backend.auth.externalAccess static token (read-only). */
const EXTERNAL = 'Bearer dezky-development-external-token';
const OPERATOR = 'anna.schmidt@dezky.example';
/** Staff of nordlicht-it. */
const STAFF = 'jana.petersen@nordlicht-it.example';

/** catalog/tenants/: name, spec.plan, spec.partner (none: a direct customer). */
const TENANTS: [string, string, string?][] = [
  ['acme', 'business', 'nordlicht-it'],
  ['bergblick-hotels', 'business', 'alpenwerk-systems'],
  ['donau-steuer', 'business', 'alpenwerk-systems'],
  ['elbe-logistik', 'enterprise', 'nordlicht-it'],
  ['friesland-dental', 'business', 'nordlicht-it'],
  ['hafenkontor', 'starter', 'nordlicht-it'],
  ['kiel-klinik', 'enterprise'],
  ['moewe-architekten', 'starter', 'nordlicht-it'],
  ['oberland-schule', 'business'],
  ['riga-design', 'business', 'baltic-bytes'],
  ['salzach-legal', 'enterprise', 'alpenwerk-systems'],
  ['tirol-bike', 'starter', 'alpenwerk-systems'],
  ['werkbank-coop', 'starter'],
];
const ALL = TENANTS.map(([name]) => name);

type Reason =
  | 'off'
  | 'on'
  | 'targeted-no-scope'
  | 'targeted-match'
  | 'targeted-no-match'
  | 'rollout-scope-mismatch'
  | 'rollout-in'
  | 'rollout-out';

/** docs/flags.md#openfeature-ofrep: our reason → OpenFeature's. */
const OPENFEATURE_REASON: Record<Reason, string> = {
  off: 'STATIC',
  on: 'STATIC',
  'targeted-match': 'TARGETING_MATCH',
  'targeted-no-match': 'DEFAULT',
  'targeted-no-scope': 'DEFAULT',
  'rollout-scope-mismatch': 'DEFAULT',
  'rollout-in': 'SPLIT',
  'rollout-out': 'SPLIT',
};

const none = { plans: [], tenants: [], partners: [], environments: [] };
/** The flags this test creates (the portal runs with flags.environment development). */
const TEST_FLAGS = [
  {
    key: 'of_enterprise',
    state: 'targeted',
    pct: 0,
    scope: { ...none, plans: ['enterprise'] },
  },
  {
    key: 'of_nordlicht',
    state: 'targeted',
    pct: 0,
    scope: { ...none, partners: ['nordlicht-it'] },
  },
  {
    key: 'of_business_dev',
    state: 'targeted',
    pct: 0,
    scope: { ...none, plans: ['business'], environments: ['development'] },
  },
  {
    key: 'of_staging_only',
    state: 'targeted',
    pct: 0,
    scope: { ...none, environments: ['staging'] },
  },
  { key: 'of_nobody', state: 'targeted', pct: 0, scope: none },
  { key: 'of_half', state: 'rollout', pct: 50, scope: none },
  {
    key: 'of_nordlicht_rollout',
    state: 'rollout',
    pct: 30,
    scope: { ...none, partners: ['nordlicht-it'] },
  },
];

/**
 * For each flag: the seeded tenants it is on for, and the reasons. Rollouts
 * list every tenant's bucket (SHA-256 of `<tenant>:<key>`, first 4 bytes,
 * mod 10000); in iff bucket < pct × 100.
 */
type Expectation = {
  on: string[];
  reasonOn?: Reason;
  reasonOff?: Reason;
  buckets?: Record<string, number>;
};
const EXPECTED: Record<string, Expectation> = {
  // seeded (docs/flags.md#seeded-flags): kill switches on, the rest off
  collabora_coediting: { on: [], reasonOff: 'off' },
  gdpr_export_v2: { on: [], reasonOff: 'off' },
  jmap_native_v2: { on: [], reasonOff: 'off' },
  maintenance_banner: { on: [], reasonOff: 'off' },
  new_billing_engine: { on: [], reasonOff: 'off' },
  oci_versioning: { on: [], reasonOff: 'off' },
  outbound_mail: { on: ALL, reasonOn: 'on' },
  passkey_login: { on: [], reasonOff: 'off' },
  storage_quota_enforcement: { on: [], reasonOff: 'off' },
  tenant_provisioning: { on: ALL, reasonOn: 'on' },
  // created by this test
  of_enterprise: {
    on: ['elbe-logistik', 'kiel-klinik', 'salzach-legal'],
    reasonOn: 'targeted-match',
    reasonOff: 'targeted-no-match',
  },
  of_nordlicht: {
    on: [
      'acme',
      'elbe-logistik',
      'friesland-dental',
      'hafenkontor',
      'moewe-architekten',
    ],
    reasonOn: 'targeted-match',
    reasonOff: 'targeted-no-match',
  },
  of_business_dev: {
    on: [
      'acme',
      'bergblick-hotels',
      'donau-steuer',
      'friesland-dental',
      'oberland-schule',
      'riga-design',
    ],
    reasonOn: 'targeted-match',
    reasonOff: 'targeted-no-match',
  },
  of_staging_only: { on: [], reasonOff: 'targeted-no-match' },
  of_nobody: { on: [], reasonOff: 'targeted-no-scope' },
  of_half: {
    on: [
      'acme',
      'bergblick-hotels',
      'elbe-logistik',
      'hafenkontor',
      'moewe-architekten',
      'werkbank-coop',
    ],
    reasonOn: 'rollout-in',
    reasonOff: 'rollout-out',
    buckets: {
      acme: 4295,
      'bergblick-hotels': 393,
      'donau-steuer': 8508,
      'elbe-logistik': 101,
      'friesland-dental': 8852,
      hafenkontor: 372,
      'kiel-klinik': 9512,
      'moewe-architekten': 2077,
      'oberland-schule': 8099,
      'riga-design': 8344,
      'salzach-legal': 5702,
      'tirol-bike': 8604,
      'werkbank-coop': 443,
    },
  },
  of_nordlicht_rollout: {
    on: ['acme', 'friesland-dental'],
    reasonOn: 'rollout-in',
    reasonOff: 'rollout-out',
    // only nordlicht-it's tenants are in scope; the others are
    // rollout-scope-mismatch, without a bucket
    buckets: {
      acme: 107,
      'elbe-logistik': 4129,
      'friesland-dental': 2448,
      hafenkontor: 7478,
      'moewe-architekten': 8214,
    },
  },
};
const KEYS = Object.keys(EXPECTED).sort();

/** What OFREP must answer for a seeded tenant and a flag. */
function expectedAnswer(key: string, tenant: string) {
  const e = EXPECTED[key];
  const value = e.on.includes(tenant);
  const bucket = e.buckets?.[tenant];
  const reason: Reason =
    e.buckets && bucket === undefined
      ? 'rollout-scope-mismatch'
      : (value ? e.reasonOn : e.reasonOff)!;
  return {
    key,
    value,
    reason: OPENFEATURE_REASON[reason],
    variant: value ? 'on' : 'off',
    metadata: bucket === undefined ? { reason } : { reason, bucket },
  };
}

let portal: PortalServers;
let client: Client;
let operator: string;
let staff: string;

async function flagsApi(
  authorization: string,
  method: string,
  path: string,
  body?: unknown,
) {
  return fetch(`${portal.backendUrl}/api/flags${path}`, {
    method,
    headers: {
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function signIn(email: string) {
  const result = await signInThroughOidc({
    backendUrl: portal.backendUrl,
    appOrigin: portal.appOrigin,
    email,
  });
  if (!result.ok) throw new Error(`${email}: ${result.error}`);
  return `Bearer ${result.token}`;
}

async function providerClient(name: string, authorization?: string) {
  await OpenFeature.setProviderAndWait(
    name,
    new OFREPProvider({
      baseUrl: `${portal.backendUrl}/api/flags`,
      headers: authorization ? [['Authorization', authorization]] : [],
    }),
  );
  return OpenFeature.getClient(name);
}

// One backend: PostgreSQL (production's database) whenever there is one —
// always under scripts/test — else SQLite.
const { database, name: databaseName } = portalDatabases().slice(-1)[0];

describe(`OpenFeature (OFREP) against the real portal on ${databaseName}`, () => {
  beforeAll(async () => {
    portal = await startPortal({}, { database });
    const seeded = seededEntities();
    await waitForCatalog(
      portal.backendUrl,
      ['user', 'tenant', 'partner'],
      seeded.filter(e => ['User', 'Tenant', 'Partner'].includes(e.kind)).length,
    );
    operator = await signIn(OPERATOR);
    staff = await signIn(STAFF);
    for (const f of TEST_FLAGS) {
      const res = await flagsApi(operator, 'POST', '/flags', {
        ...f,
        description: `OpenFeature test flag ${f.key}`,
        type: 'release',
      });
      if (res.status !== 201) {
        throw new Error(`creating ${f.key}: ${res.status} ${await res.text()}`);
      }
    }
    client = await providerClient('external', EXTERNAL);
  });

  afterAll(async () => {
    await OpenFeature.close();
    await portal?.stop();
  });

  it('runs on the seeded catalog this test was written for', () => {
    const tenants = seededEntities()
      .filter(e => e.kind === 'Tenant')
      .map(t =>
        [t.metadata.name, t.spec!.plan, t.spec!.partner].filter(Boolean),
      )
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(tenants).toEqual(TENANTS.map(t => t.filter(Boolean)));
  });

  it('has the seeded flags and the test flags, as written here', async () => {
    const res = await flagsApi(EXTERNAL, 'GET', '/flags');
    expect(res.status).toBe(200);
    const { items } = await res.json();
    expect(
      items.map((f: any) => [f.key, f.state, f.pct, f.scope.plans]),
    ).toEqual(
      KEYS.map(key => {
        const test = TEST_FLAGS.find(f => f.key === key);
        if (test) return [key, test.state, test.pct, test.scope.plans];
        return [key, EXPECTED[key].on.length ? 'on' : 'off', 0, []];
      }),
    );
  });

  it('gives every flag for every seeded tenant to the external token', async () => {
    for (const tenant of ALL) {
      for (const key of KEYS) {
        const want = expectedAnswer(key, tenant);
        const details = await client.getBooleanDetails(key, !want.value, {
          targetingKey: tenant,
        });
        expect({ tenant, ...details }).toEqual({
          tenant,
          flagKey: key,
          value: want.value,
          reason: want.reason,
          variant: want.variant,
          flagMetadata: want.metadata,
        });
      }
    }
  });

  it('uses the catalog plan and partner over the context plan and partner', async () => {
    // acme is business at nordlicht-it in the catalog
    const acme = {
      targetingKey: 'acme',
      plan: 'enterprise',
      partner: 'alpenwerk-systems',
    };
    expect(await client.getBooleanValue('of_enterprise', true, acme)).toBe(
      false,
    );
    expect(await client.getBooleanValue('of_nordlicht', false, acme)).toBe(
      true,
    );
    expect(await client.getBooleanValue('of_business_dev', false, acme)).toBe(
      true,
    );
    // kiel-klinik is a direct customer: a context partner does not make it nordlicht's
    expect(
      await client.getBooleanDetails('of_nordlicht', true, {
        targetingKey: 'kiel-klinik',
        partner: 'nordlicht-it',
      }),
    ).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      flagMetadata: { reason: 'targeted-no-match' },
    });
  });

  it('uses the context plan and partner for a tenant the catalog does not know', async () => {
    const newco = {
      targetingKey: 'newco',
      plan: 'enterprise',
      partner: 'nordlicht-it',
    };
    const answers = Object.fromEntries(
      await Promise.all(
        [
          'of_enterprise',
          'of_nordlicht',
          'of_business_dev',
          'of_half',
          'of_nordlicht_rollout',
          'tenant_provisioning',
          'new_billing_engine',
        ].map(async key => {
          const d = await client.getBooleanDetails(key, false, newco);
          return [key, [d.value, d.flagMetadata]];
        }),
      ),
    );
    expect(answers).toEqual({
      of_enterprise: [true, { reason: 'targeted-match' }],
      of_nordlicht: [true, { reason: 'targeted-match' }],
      of_business_dev: [false, { reason: 'targeted-no-match' }],
      of_half: [false, { reason: 'rollout-out', bucket: 5455 }],
      of_nordlicht_rollout: [false, { reason: 'rollout-out', bucket: 4108 }],
      tenant_provisioning: [true, { reason: 'on' }],
      new_billing_engine: [false, { reason: 'off' }],
    });
    // without plan and partner neither matches
    expect(
      await client.getBooleanValue('of_enterprise', true, {
        targetingKey: 'newco',
      }),
    ).toBe(false);
    expect(
      await client.getBooleanValue('of_nordlicht', true, {
        targetingKey: 'newco',
      }),
    ).toBe(false);
  });

  it("lets partner staff evaluate their partner's tenants only (the Dezky policy)", async () => {
    const own = await providerClient('staff', staff);
    expect(
      await own.getBooleanDetails('of_nordlicht', false, {
        targetingKey: 'acme',
      }),
    ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(
      await own.getBooleanDetails('of_half', false, {
        targetingKey: 'hafenkontor',
      }),
    ).toMatchObject({
      value: true,
      reason: 'SPLIT',
      flagMetadata: { reason: 'rollout-in', bucket: 372 },
    });
    // another partner's tenant, a direct customer, a tenant the catalog does
    // not know: all the same as a tenant that does not exist
    for (const targetingKey of ['bergblick-hotels', 'kiel-klinik', 'newco']) {
      expect(
        await own.getBooleanDetails('tenant_provisioning', false, {
          targetingKey,
          plan: 'business',
        }),
      ).toMatchObject({
        value: false,
        reason: 'ERROR',
        errorCode: 'INVALID_CONTEXT',
      });
    }
    // operators may evaluate any tenant
    const op = await providerClient('operator', operator);
    expect(
      await op.getBooleanDetails('of_enterprise', false, {
        targetingKey: 'kiel-klinik',
      }),
    ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
  });

  it('gives the default with FLAG_NOT_FOUND for an unknown flag', async () => {
    expect(
      await client.getBooleanDetails('of_no_such_flag', true, {
        targetingKey: 'acme',
      }),
    ).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('gives the default with TARGETING_KEY_MISSING or INVALID_CONTEXT for a bad context', async () => {
    expect(
      await client.getBooleanDetails('tenant_provisioning', false, {}),
    ).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(
      await client.getBooleanDetails('tenant_provisioning', false, {
        targetingKey: 'acme',
        plan: 42,
      }),
    ).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'INVALID_CONTEXT',
    });
  });

  it('gives the default with an error to a caller without valid credentials', async () => {
    for (const [name, authorization] of [
      ['no-token', undefined],
      ['bad-token', 'Bearer not-a-token'],
    ]) {
      const raw = await fetch(
        `${portal.backendUrl}/api/flags/ofrep/v1/evaluate/flags/tenant_provisioning`,
        {
          method: 'POST',
          headers: {
            ...(authorization ? { authorization } : {}),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ context: { targetingKey: 'acme' } }),
        },
      );
      expect({ name, status: raw.status }).toEqual({ name, status: 401 });
      const anonymous = await providerClient(name!, authorization);
      expect(
        await anonymous.getBooleanDetails('tenant_provisioning', false, {
          targetingKey: 'acme',
        }),
      ).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
    }
  });

  it('refuses the read-only external token a change, and sees an operator’s change at once', async () => {
    const refused = await flagsApi(
      EXTERNAL,
      'PATCH',
      '/flags/maintenance_banner',
      { state: 'on' },
    );
    expect(refused.status).toBe(403);
    const ctx = { targetingKey: 'hafenkontor' };
    expect(await client.getBooleanValue('maintenance_banner', true, ctx)).toBe(
      false,
    );
    const on = await flagsApi(operator, 'PATCH', '/flags/maintenance_banner', {
      state: 'on',
    });
    expect(on.status).toBe(200);
    expect(
      await client.getBooleanDetails('maintenance_banner', false, ctx),
    ).toMatchObject({ value: true, reason: 'STATIC' });
    const off = await flagsApi(operator, 'PATCH', '/flags/maintenance_banner', {
      state: 'off',
    });
    expect(off.status).toBe(200);
    expect(await client.getBooleanValue('maintenance_banner', true, ctx)).toBe(
      false,
    );
  });

  it("follows the documented worked example: acme's bucket for new_billing_engine is 6806", async () => {
    const rollout = (pct: number) =>
      flagsApi(operator, 'PATCH', '/flags/new_billing_engine', {
        state: 'rollout',
        pct,
        scope: { ...none, plans: ['business'] },
      });
    const acme = { targetingKey: 'acme' };
    expect((await rollout(68.06)).status).toBe(200);
    expect(
      await client.getBooleanDetails('new_billing_engine', true, acme),
    ).toMatchObject({
      value: false,
      reason: 'SPLIT',
      flagMetadata: { reason: 'rollout-out', bucket: 6806 },
    });
    expect((await rollout(68.07)).status).toBe(200);
    expect(
      await client.getBooleanDetails('new_billing_engine', false, acme),
    ).toMatchObject({
      value: true,
      reason: 'SPLIT',
      flagMetadata: { reason: 'rollout-in', bucket: 6806 },
    });
    const restored = await flagsApi(
      operator,
      'PATCH',
      '/flags/new_billing_engine',
      { state: 'off', scope: none },
    );
    expect(restored.status).toBe(200);
    expect(await client.getBooleanValue('new_billing_engine', true, acme)).toBe(
      false,
    );
  });

  describe('bulk evaluation: ETag and If-None-Match', () => {
    it('answers every flag by key, 304 for an unchanged ETag, 200 with a new one after a change (ofrep-core client)', async () => {
      const ofrep = new OFREPApi(`${portal.backendUrl}/api/flags`);
      const request = { context: { targetingKey: 'bergblick-hotels' } };
      const auth: [string, string] = ['Authorization', EXTERNAL];
      const first = await ofrep.postBulkEvaluateFlags(request, {
        headers: [auth],
      });
      expect(first.httpStatus).toBe(200);
      expect(first.value).toEqual({
        flags: KEYS.map(key => expectedAnswer(key, 'bergblick-hotels')),
      });
      const etag = first.httpResponse!.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);

      const unchanged = await ofrep.postBulkEvaluateFlags(request, {
        headers: [auth, ['If-None-Match', etag]],
      });
      expect(unchanged.httpStatus).toBe(304);
      expect(unchanged.value).toBeUndefined();

      // another tenant is another ETag
      const other = await ofrep.postBulkEvaluateFlags(
        { context: { targetingKey: 'acme' } },
        { headers: [auth, ['If-None-Match', etag]] },
      );
      expect(other.httpStatus).toBe(200);
      expect(other.value).toEqual({
        flags: KEYS.map(key => expectedAnswer(key, 'acme')),
      });

      const patched = await flagsApi(
        operator,
        'PATCH',
        '/flags/of_enterprise',
        {
          scope: { ...none, plans: ['enterprise', 'business'] },
        },
      );
      expect(patched.status).toBe(200);
      const changed = await ofrep.postBulkEvaluateFlags(request, {
        headers: [auth, ['If-None-Match', etag]],
      });
      expect(changed.httpStatus).toBe(200);
      expect(changed.httpResponse!.headers.get('etag')).not.toBe(etag);
      expect(
        (changed.value as { flags: { key: string }[] }).flags.find(
          f => f.key === 'of_enterprise',
        ),
      ).toEqual({
        key: 'of_enterprise',
        value: true,
        reason: 'TARGETING_MATCH',
        variant: 'on',
        metadata: { reason: 'targeted-match' },
      });
      const restored = await flagsApi(
        operator,
        'PATCH',
        '/flags/of_enterprise',
        { scope: { ...none, plans: ['enterprise'] } },
      );
      expect(restored.status).toBe(200);
    });

    it('answers 304 to plain fetch with If-None-Match, with no body', async () => {
      const post = (headers: Record<string, string> = {}) =>
        fetch(`${portal.backendUrl}/api/flags/ofrep/v1/evaluate/flags`, {
          method: 'POST',
          headers: {
            authorization: EXTERNAL,
            'content-type': 'application/json',
            ...headers,
          },
          body: JSON.stringify({
            context: { targetingKey: 'newco', plan: 'starter' },
          }),
        });
      const first = await post();
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag')!;
      const body = await first.json();
      expect(body.flags.map((f: { key: string }) => f.key)).toEqual(KEYS);

      const second = await post({ 'If-None-Match': etag });
      expect(second.status).toBe(304);
      expect(await second.text()).toBe('');
      expect(second.headers.get('etag')).toBe(etag);
    });
  });
});
