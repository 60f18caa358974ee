import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createConditionExports } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  AuditEventInput,
  auditEventReadPermission,
} from '@internal/plugin-audit-common';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import request from 'supertest';
import { auditPlugin } from './plugin';
import {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from './services/factories';

/*
 * POST /api/permission/authorize with a resourceRef of the audit-event
 * resource type (an event's seq) answers a decision: the permission backend
 * asks the audit plugin for the event (getResources) and applies the
 * policy's conditions to it — as for partner staff, whom the Dezky policy
 * answers with BELONGS_TO_PARTNER (decide.ts). Without getResources it
 * answered 501.
 */

const audit = createConditionExports({
  resourceRef: auditEventResourceRef,
  rules: auditEventPermissionRules,
});

/** Partner staff, as the Dezky policy knows them; everyone else an operator. */
const STAFF: Record<string, string[]> = {
  'user:default/jana.petersen': ['partner:default/nordlicht-it'],
  'user:default/mia.huber': ['partner:default/alpenwerk-systems'],
};

const policyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'audit-test-policy',
  register(env) {
    env.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle(req, user): Promise<PolicyDecision> {
            const partnerRefs = STAFF[user?.info.userEntityRef ?? ''];
            if (!partnerRefs) return { result: AuthorizeResult.ALLOW };
            if (req.permission.name === auditEventReadPermission.name) {
              return audit.createConditionalDecision(
                auditEventReadPermission,
                audit.conditions.belongsToPartner({ partnerRefs }),
              );
            }
            return { result: AuthorizeResult.DENY };
          },
        });
      },
    });
  },
});

/**
 * The test backend's httpAuth, except that an on-behalf-of token (what the
 * permission backend sends to apply-conditions for the user it decides for)
 * keeps its actor, as the real auth service's do: the mock's drop it, and
 * Backstage's apply-conditions endpoint refuses a user credential without
 * one.
 */
const onBehalfOfHttpAuth = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): HttpAuthService {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    const prefix = 'mock-service-token:';
    return {
      async credentials(req, options) {
        const token = /^Bearer (.+)$/.exec(
          req.headers.authorization ?? '',
        )?.[1];
        if (
          token?.startsWith(prefix) &&
          (options?.allow as string[] | undefined)?.includes('user')
        ) {
          const { obo, target } = JSON.parse(token.slice(prefix.length));
          if (obo && target === plugin.getId()) {
            return mockCredentials.user(obo, {
              actor: { subject: 'plugin:permission' },
            }) as any;
          }
        }
        return inner.credentials(req, options);
      },
      issueUserCookie: (res, options) => inner.issueUserCookie(res, options),
    };
  },
});

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const event = (
  i: number,
  extra: Partial<AuditEventInput>,
): AuditEventInput => ({
  at: new Date(T0 + i * 60_000).toISOString(),
  actor: { type: 'system' },
  action: 'tenant.updated',
  outcome: 'success',
  source: 'portal',
  ...extra,
});

/** seq 1: acme (Nordlicht IT, from the catalog); 2: bergblick (Alpenwerk); 3: platform-wide; 4: echo (sold directly). */
const seed = [
  event(1, { tenant: 'tenant:default/acme' }),
  event(2, {
    tenant: 'tenant:default/bergblick-hotels',
    partner: 'partner:default/alpenwerk-systems',
  }),
  event(3, {}),
  event(4, { tenant: 'tenant:default/echo' }),
];

const seedPlugin = createBackendPlugin({
  pluginId: 'seed',
  register(env) {
    env.registerInit({
      deps: { trail: auditTrailServiceRef },
      async init({ trail }) {
        await trail.record(seed);
      },
    });
  },
});

const tenants = [
  {
    apiVersion: 'dezky.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: 'default' },
    spec: { partner: 'nordlicht-it', domains: ['acme.example'] },
  },
  {
    apiVersion: 'dezky.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'echo', namespace: 'default' },
    spec: { domains: ['echo.example'] },
  },
];

describe('audit-event decisions through the permission backend', () => {
  let server: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        auditPlugin,
        auditChainServiceFactory,
        auditTrailServiceFactory,
        chainAuditorServiceFactory,
        seedPlugin,
        permissionPlugin,
        policyModule,
        onBehalfOfHttpAuth,
        catalogServiceMock.factory({ entities: tenants }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
            permission: { enabled: true },
          },
        }),
      ],
    }));
  });

  const authorize = async (
    user: string,
    resourceRefs: (string | string[])[],
  ) => {
    const res = await request(server)
      .post('/api/permission/authorize')
      .set('Authorization', mockCredentials.user.header(user))
      .send({
        items: resourceRefs.map((resourceRef, i) => ({
          id: String(i),
          permission: auditEventReadPermission,
          resourceRef,
        })),
      });
    expect(res.status).toBe(200);
    return res.body.items.map((item: { result: unknown }) => item.result);
  };

  it('allows partner staff an event of their partner and denies another partner’s', async () => {
    const { ALLOW, DENY } = AuthorizeResult;
    expect(
      await authorize('user:default/jana.petersen', ['1', '2', '3', '4']),
    ).toEqual([ALLOW, DENY, DENY, DENY]);
    expect(
      await authorize('user:default/mia.huber', ['1', '2', '3', '4']),
    ).toEqual([DENY, ALLOW, DENY, DENY]);
    // several events in one item
    expect(await authorize('user:default/jana.petersen', [['1', '2']])).toEqual(
      [[ALLOW, DENY]],
    );
    // operators: the policy's own ALLOW
    expect(await authorize('user:default/anna.schmidt', ['2'])).toEqual([
      ALLOW,
    ]);
  });

  it('denies refs that name no event', async () => {
    const { DENY } = AuthorizeResult;
    expect(
      await authorize('user:default/jana.petersen', [
        '999',
        'abc',
        '0',
        '01',
        '1.0',
      ]),
    ).toEqual([DENY, DENY, DENY, DENY, DENY]);
  });
});
