import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  flagEvaluatePermission,
  flagManagePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import { cacheReadDecisions } from './cacheReadDecisions';

const ALLOW = { result: AuthorizeResult.ALLOW } as const;
const DENY = { result: AuthorizeResult.DENY } as const;

/** A permissions service whose decisions the test changes, counting the questions. */
function policy() {
  const state = {
    decision: ALLOW as PolicyDecision,
    asked: 0,
    failNext: false,
  };
  const answer = async (n: number) => {
    state.asked++;
    if (state.failNext) {
      state.failNext = false;
      throw new Error('permission backend unreachable');
    }
    return Array.from({ length: n }, () => state.decision);
  };
  const permissions: PermissionsService = {
    authorize: async requests => (await answer(requests.length)) as any,
    authorizeConditional: async requests => answer(requests.length),
  };
  return { state, permissions };
}

function setup(ttlMs = 2_000) {
  const { state, permissions } = policy();
  const clock = { t: 1_000_000 };
  const cached = cacheReadDecisions(permissions, {
    ttlMs,
    now: () => clock.t,
  });
  return { state, clock, cached };
}

const user = mockCredentials.user('user:default/jana');
const other = mockCredentials.user('user:default/anna');
const service = mockCredentials.service('external:bench');

const evaluate = (
  cached: PermissionsService,
  credentials: BackstageCredentials = user,
): Promise<PolicyDecision> =>
  cached
    .authorizeConditional([{ permission: flagEvaluatePermission }], {
      credentials,
    })
    .then(([d]) => d);

describe('cacheReadDecisions', () => {
  it('keeps a user’s decision on reading for the TTL, and sees a change after it', async () => {
    const { state, clock, cached } = setup();
    await expect(evaluate(cached)).resolves.toEqual(ALLOW);
    state.decision = DENY; // e.g. the user left the partner's staff group
    clock.t += 1_999;
    await expect(evaluate(cached)).resolves.toEqual(ALLOW);
    expect(state.asked).toBe(1);
    clock.t += 1;
    await expect(evaluate(cached)).resolves.toEqual(DENY);
    expect(state.asked).toBe(2);
    // and the new decision is kept in turn
    clock.t += 1_000;
    await expect(evaluate(cached)).resolves.toEqual(DENY);
    expect(state.asked).toBe(2);
  });

  it('keeps decisions per user and per permission and method', async () => {
    const { state, cached } = setup();
    await evaluate(cached, user);
    await evaluate(cached, other);
    await cached.authorize([{ permission: flagReadPermission }], {
      credentials: user,
    });
    expect(state.asked).toBe(3);
    await evaluate(cached, user);
    await evaluate(cached, other);
    await cached.authorize([{ permission: flagReadPermission }], {
      credentials: user,
    });
    expect(state.asked).toBe(3);
  });

  it('tells a call on a user’s behalf by a service apart from the user’s own', async () => {
    const { state, cached } = setup();
    const onBehalf = {
      ...user,
      principal: {
        ...user.principal,
        actor: { type: 'service', subject: 'plugin:catalog' },
      },
    } as typeof user;
    await evaluate(cached, user);
    await evaluate(cached, onBehalf);
    expect(state.asked).toBe(2);
  });

  it('never keeps decisions on changes, for one resource, or of services', async () => {
    const { state, cached } = setup();
    for (let i = 0; i < 2; i++) {
      await cached.authorize([{ permission: flagManagePermission }], {
        credentials: user,
      });
      await cached.authorize(
        [
          {
            permission: flagEvaluatePermission,
            resourceRef: 'tenant:default/acme',
          },
        ],
        { credentials: user },
      );
      await evaluate(cached, service);
      await cached.authorize(
        [
          { permission: flagReadPermission },
          { permission: flagReadPermission },
        ],
        { credentials: user },
      );
    }
    expect(state.asked).toBe(8);
  });

  it('does not keep a failure, and asks once for concurrent requests', async () => {
    const { state, cached } = setup();
    state.failNext = true;
    await expect(evaluate(cached)).rejects.toThrow('unreachable');
    await expect(evaluate(cached)).resolves.toEqual(ALLOW);
    expect(state.asked).toBe(2);
    const { state: s2, cached: c2 } = setup();
    await Promise.all([evaluate(c2), evaluate(c2), evaluate(c2)]);
    expect(s2.asked).toBe(1);
  });

  it('keeps at most maxEntries decisions', async () => {
    const { state, permissions } = policy();
    const cached = cacheReadDecisions(permissions, { maxEntries: 2 });
    const u = (n: number) => mockCredentials.user(`user:default/u${n}`);
    await evaluate(cached, u(1));
    await evaluate(cached, u(2));
    await evaluate(cached, u(3)); // full: the kept ones are dropped
    await evaluate(cached, u(1));
    expect(state.asked).toBe(4);
    await evaluate(cached, u(3));
    expect(state.asked).toBe(4);
  });
});
