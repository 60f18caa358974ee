import { ResponseError } from '@backstage/errors';
import { PLATFORM_ADMINS_GROUP_REF } from '@internal/plugin-dezky-catalog-common';
import { Flag } from '@internal/plugin-flags-common';
import {
  FlagHistoryEvent,
  FlagPatch,
  FlagsApi,
  NewFlag,
  RolloutPreview,
  RolloutPreviewRequest,
  TenantFlags,
} from '../api';

/**
 * A FlagsApi whose every method is a jest mock: reads answer empty, the
 * preview counts 0 of 10, writes reject unless set.
 */
export function fakeFlagsApi(overrides: Partial<FlagsApi> = {}) {
  const notFaked = async () => {
    throw new Error('not faked');
  };
  const api: jest.Mocked<FlagsApi> = {
    listFlags: jest.fn<Promise<Flag[]>, []>(async () => []),
    getFlag: jest.fn<Promise<Flag>, [string]>(notFaked),
    createFlag: jest.fn<Promise<Flag>, [NewFlag]>(notFaked),
    updateFlag: jest.fn<Promise<Flag>, [string, FlagPatch]>(notFaked),
    deleteFlag: jest.fn<Promise<void>, [string]>(notFaked),
    killFlag: jest.fn<Promise<Flag>, [string]>(notFaked),
    getHistory: jest.fn<Promise<FlagHistoryEvent[]>, [string]>(async () => []),
    preview: jest.fn<Promise<RolloutPreview>, [RolloutPreviewRequest]>(
      async () => ({ matching: 0, total: 10 }),
    ),
    getTenantFlags: jest.fn<Promise<TenantFlags>, [string]>(async name => ({
      tenant: name,
      context: { tenant: name, environment: 'production' },
      flags: [],
    })),
  };
  Object.assign(api, overrides);
  return api;
}

/** The ResponseError the client throws for a refusal with a JSON body. */
export function responseError(
  status: number,
  message: string,
  name = 'InputError',
) {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: String(status),
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}

/** The ResponseError the client throws on a 403. */
export function notAllowed(message = 'Not allowed: flags.flag.manage') {
  return responseError(403, message, 'NotAllowedError');
}

/** A flag with sensible defaults. */
export function aFlag(partial: Partial<Flag> = {}): Flag {
  return {
    key: 'gdpr_export_v2',
    description: 'The new GDPR data export',
    type: 'release',
    state: 'off',
    pct: 0,
    scope: { plans: [], tenants: [], partners: [], environments: [] },
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-25T17:00:00.000Z',
    ...partial,
  };
}

let seq = 0;
/** A history event with sensible defaults. */
export function historyEvent(
  partial: Partial<FlagHistoryEvent> = {},
): FlagHistoryEvent {
  seq += 1;
  return {
    seq,
    at: '2026-11-25T17:00:00.000Z',
    actor: {
      type: 'user',
      ref: 'user:default/anna.schmidt',
      email: 'anna.schmidt@dezky.example',
    },
    action: 'flag.updated',
    outcome: 'success',
    ...partial,
  };
}

/** An operator's ownership refs (a member of the platform admins group). */
export const OPERATOR_REFS = [
  'user:default/anna.schmidt',
  PLATFORM_ADMINS_GROUP_REF,
];
