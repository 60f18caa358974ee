/*
 * The official OpenFeature server SDK with its OFREP provider as the client
 * of the real flags backend (startTestBackend, listening on a port): values,
 * reasons and metadata as evaluateFlag decides, catalog values over the
 * context's, the context's for tenants the catalog does not know, errors,
 * and the bulk endpoint's ETag / If-None-Match → 304.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// the audit backend is the chain the flags plugin records into; in the
// portal it is installed beside it (packages/backend)
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  auditChainServiceFactory,
  auditPlugin,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from '@internal/plugin-audit-backend';
import { Flag, FlagContext } from '@internal/plugin-flags-common';
import { evaluateFlag, rolloutBucket } from '@internal/plugin-flags-node';
import { OFREPApi } from '@openfeature/ofrep-core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { Client, OpenFeature } from '@openfeature/server-sdk';
import { AddressInfo } from 'net';
import flagsBackend from '../index';
import { OFREP_REASONS } from './router';

jest.setTimeout(60_000);

const ENVIRONMENT = 'production';

const tenant = (name: string, plan: string, partner?: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: {
    owner: 'group:default/x',
    plan,
    seats: 5,
    domains: [`${name}.example`],
    ...(partner ? { partner } : {}),
  },
});
const TENANTS = [
  tenant('acme', 'business', 'nordlicht-it'),
  tenant('hafenkontor', 'starter', 'nordlicht-it'),
  tenant('bergblick-hotels', 'business', 'alpenwerk-systems'),
  tenant('kiel-klinik', 'enterprise'),
];
/** The evaluation contexts the catalog gives these tenants. */
const CATALOG: Record<string, FlagContext> = Object.fromEntries(
  TENANTS.map(t => [
    t.metadata.name,
    {
      tenant: t.metadata.name,
      plan: t.spec!.plan as string,
      ...(t.spec!.partner ? { partner: t.spec!.partner as string } : {}),
      environment: ENVIRONMENT,
    },
  ]),
);

const none = { plans: [], tenants: [], partners: [], environments: [] };
type NewFlag = Pick<Flag, 'key' | 'state' | 'pct' | 'scope'>;
const FLAGS: NewFlag[] = [
  { key: 'of_on', state: 'on', pct: 0, scope: none },
  { key: 'of_off', state: 'off', pct: 0, scope: none },
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
    key: 'of_business_prod',
    state: 'targeted',
    pct: 0,
    scope: { ...none, plans: ['business'], environments: ['production'] },
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
const asFlag = (f: NewFlag): Flag => ({
  ...f,
  description: f.key,
  type: 'release',
  createdAt: '',
  updatedAt: '',
});

let baseUrl: string;
let client: Client;
const SERVICE = mockCredentials.service.header();

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      Authorization: SERVICE,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res;
}

beforeAll(async () => {
  const { server } = await startTestBackend({
    features: [
      flagsBackend,
      auditPlugin,
      auditChainServiceFactory,
      auditTrailServiceFactory,
      chainAuditorServiceFactory,
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogServiceMock.factory({ entities: TENANTS }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          flags: { environment: ENVIRONMENT },
        },
      }),
    ],
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://localhost:${port}`;

  for (const f of FLAGS) {
    const res = await api('POST', '/api/flags/flags', {
      key: f.key,
      description: f.key,
      type: 'release',
      state: f.state,
      pct: f.pct,
      scope: f.scope,
    });
    if (res.status !== 201) {
      throw new Error(`creating ${f.key}: ${res.status} ${await res.text()}`);
    }
  }

  await OpenFeature.setProviderAndWait(
    new OFREPProvider({
      baseUrl: `${baseUrl}/api/flags`,
      headers: [['Authorization', SERVICE]],
    }),
  );
  client = OpenFeature.getClient();
});

afterAll(async () => {
  await OpenFeature.close();
});

describe('OpenFeature server SDK with the OFREP provider', () => {
  it('gets every flag as evaluateFlag decides, for every catalog tenant', async () => {
    for (const ctx of Object.values(CATALOG)) {
      for (const f of FLAGS) {
        const expected = evaluateFlag(asFlag(f), ctx);
        const details = await client.getBooleanDetails(f.key, !expected.value, {
          targetingKey: ctx.tenant,
        });
        expect({ tenant: ctx.tenant, ...details }).toEqual({
          tenant: ctx.tenant,
          flagKey: f.key,
          flagMetadata:
            expected.bucket === undefined
              ? { reason: expected.reason }
              : { reason: expected.reason, bucket: expected.bucket },
          value: expected.value,
          reason: OFREP_REASONS[expected.reason],
          variant: expected.value ? 'on' : 'off',
        });
        expect(
          await client.getBooleanValue(f.key, !expected.value, {
            targetingKey: ctx.tenant,
          }),
        ).toBe(expected.value);
      }
    }
  });

  it('answers each kind of flag with its OpenFeature reason', async () => {
    const acme = { targetingKey: 'acme' };
    const details = async (key: string, ctx = acme) =>
      client.getBooleanDetails(key, false, ctx);
    expect(await details('of_on')).toMatchObject({
      value: true,
      reason: 'STATIC',
      variant: 'on',
    });
    expect(await details('of_off')).toMatchObject({
      value: false,
      reason: 'STATIC',
      variant: 'off',
    });
    expect(await details('of_nordlicht')).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await details('of_enterprise')).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      flagMetadata: { reason: 'targeted-no-match' },
    });
    expect(await details('of_nobody')).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      flagMetadata: { reason: 'targeted-no-scope' },
    });
    expect(
      await details('of_nordlicht_rollout', { targetingKey: 'kiel-klinik' }),
    ).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      flagMetadata: { reason: 'rollout-scope-mismatch' },
    });
    const half = await details('of_half');
    expect(half.reason).toBe('SPLIT');
    expect(half.flagMetadata.bucket).toBe(rolloutBucket('acme', 'of_half'));
    expect(half.value).toBe(rolloutBucket('acme', 'of_half') < 5000);
  });

  it('splits a 50 % rollout by the tenant bucket, as evaluateFlag does', async () => {
    const half = asFlag(FLAGS.find(f => f.key === 'of_half')!);
    const values = new Set<boolean>();
    for (let i = 0; i < 30; i++) {
      const name = `rollout-tenant-${i}`;
      const expected = evaluateFlag(half, {
        tenant: name,
        environment: ENVIRONMENT,
      });
      const details = await client.getBooleanDetails('of_half', false, {
        targetingKey: name,
      });
      expect(details).toMatchObject({
        value: expected.value,
        reason: 'SPLIT',
        flagMetadata: { bucket: expected.bucket },
      });
      values.add(details.value);
    }
    expect(values).toEqual(new Set([true, false]));
  });

  it('uses the catalog plan and partner over the context plan and partner', async () => {
    // acme is business at nordlicht-it in the catalog
    const ctx = {
      targetingKey: 'acme',
      plan: 'enterprise',
      partner: 'alpenwerk-systems',
    };
    expect(await client.getBooleanValue('of_enterprise', true, ctx)).toBe(
      false,
    );
    expect(await client.getBooleanValue('of_nordlicht', false, ctx)).toBe(true);
    expect(await client.getBooleanValue('of_business_prod', false, ctx)).toBe(
      true,
    );
    // kiel-klinik is a direct customer: a context partner does not make it nordlicht's
    expect(
      await client.getBooleanValue('of_nordlicht', true, {
        targetingKey: 'kiel-klinik',
        partner: 'nordlicht-it',
      }),
    ).toBe(false);
  });

  it('uses the context plan and partner for a tenant the catalog does not know', async () => {
    const newco = {
      targetingKey: 'newco',
      plan: 'enterprise',
      partner: 'nordlicht-it',
    };
    const ctx: FlagContext = {
      tenant: 'newco',
      plan: 'enterprise',
      partner: 'nordlicht-it',
      environment: ENVIRONMENT,
    };
    for (const f of FLAGS) {
      const expected = evaluateFlag(asFlag(f), ctx);
      const details = await client.getBooleanDetails(
        f.key,
        !expected.value,
        newco,
      );
      expect([f.key, details.value, details.flagMetadata.reason]).toEqual([
        f.key,
        expected.value,
        expected.reason,
      ]);
    }
    expect(await client.getBooleanValue('of_enterprise', false, newco)).toBe(
      true,
    );
    // without plan and partner: neither matches
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

  it('gives the default with FLAG_NOT_FOUND for an unknown flag', async () => {
    const details = await client.getBooleanDetails('of_no_such_flag', true, {
      targetingKey: 'acme',
    });
    expect(details).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(
      await client.getBooleanValue('of_no_such_flag', false, {
        targetingKey: 'acme',
      }),
    ).toBe(false);
  });

  it('gives the default with TARGETING_KEY_MISSING or INVALID_CONTEXT for a bad context', async () => {
    expect(await client.getBooleanDetails('of_on', false, {})).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(
      await client.getBooleanDetails('of_on', false, {
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
    for (const [name, header] of [
      ['none', mockCredentials.none.header()],
      ['invalid', mockCredentials.service.invalidHeader()],
    ]) {
      const raw = await fetch(
        `${baseUrl}/api/flags/ofrep/v1/evaluate/flags/of_on`,
        {
          method: 'POST',
          headers: {
            Authorization: header,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ context: { targetingKey: 'acme' } }),
        },
      );
      expect(raw.status).toBe(401);
      await OpenFeature.setProviderAndWait(
        name,
        new OFREPProvider({
          baseUrl: `${baseUrl}/api/flags`,
          headers: [['Authorization', header]],
        }),
      );
      const details = await OpenFeature.getClient(name).getBooleanDetails(
        'of_on',
        false,
        { targetingKey: 'acme' },
      );
      expect(details).toMatchObject({
        value: false,
        reason: 'ERROR',
        errorCode: 'GENERAL',
      });
    }
  });

  it('sees a change at once', async () => {
    const ctx = { targetingKey: 'hafenkontor' };
    expect(await client.getBooleanValue('of_off', true, ctx)).toBe(false);
    const res = await api('PATCH', '/api/flags/flags/of_off', { state: 'on' });
    expect(res.status).toBe(200);
    expect(await client.getBooleanDetails('of_off', false, ctx)).toMatchObject({
      value: true,
      reason: 'STATIC',
    });
    await api('PATCH', '/api/flags/flags/of_off', { state: 'off' });
    expect(await client.getBooleanValue('of_off', true, ctx)).toBe(false);
  });
});

describe('OFREP bulk evaluation: ETag and If-None-Match', () => {
  it('answers 304 for an unchanged ETag, 200 with a new one after a change (ofrep-core client)', async () => {
    const ofrep = new OFREPApi(`${baseUrl}/api/flags`);
    const request = { context: { targetingKey: 'bergblick-hotels' } };
    const first = await ofrep.postBulkEvaluateFlags(request, {
      headers: [['Authorization', SERVICE]],
    });
    expect(first.httpStatus).toBe(200);
    const etag = first.httpResponse!.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const flags = (
      first.value as { flags: Array<{ key: string; value: boolean }> }
    ).flags;
    const ctx = CATALOG['bergblick-hotels'];
    for (const f of FLAGS) {
      expect(flags.find(x => x.key === f.key)).toMatchObject({
        value: evaluateFlag(asFlag(f), ctx).value,
      });
    }
    const keys = flags.map(f => f.key);
    expect(keys).toEqual([...keys].sort());

    const unchanged = await ofrep.postBulkEvaluateFlags(request, {
      headers: [
        ['Authorization', SERVICE],
        ['If-None-Match', etag],
      ],
    });
    expect(unchanged.httpStatus).toBe(304);
    expect(unchanged.value).toBeUndefined();

    // another tenant, or the same with other fallbacks where they count, is another ETag
    const other = await ofrep.postBulkEvaluateFlags(
      { context: { targetingKey: 'acme' } },
      {
        headers: [
          ['Authorization', SERVICE],
          ['If-None-Match', etag],
        ],
      },
    );
    expect(other.httpStatus).toBe(200);

    const patched = await api('PATCH', '/api/flags/flags/of_enterprise', {
      scope: { plans: ['enterprise', 'business'] },
    });
    expect(patched.status).toBe(200);
    const changed = await ofrep.postBulkEvaluateFlags(request, {
      headers: [
        ['Authorization', SERVICE],
        ['If-None-Match', etag],
      ],
    });
    expect(changed.httpStatus).toBe(200);
    const newEtag = changed.httpResponse!.headers.get('etag');
    expect(newEtag).not.toBe(etag);
    expect(
      (
        changed.value as { flags: Array<{ key: string; value: boolean }> }
      ).flags.find(f => f.key === 'of_enterprise'),
    ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    await api('PATCH', '/api/flags/flags/of_enterprise', {
      scope: { plans: ['enterprise'] },
    });
  });

  it('answers 304 to plain fetch with If-None-Match, with no body', async () => {
    const post = (headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}/api/flags/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: {
          Authorization: SERVICE,
          'Content-Type': 'application/json',
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
    expect(body.flags.length).toBeGreaterThanOrEqual(FLAGS.length);

    const second = await post({ 'If-None-Match': etag });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
    expect(second.headers.get('etag')).toBe(etag);
  });
});
