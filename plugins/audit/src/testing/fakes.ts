import { ResponseError } from '@backstage/errors';
import {
  AuditEvent,
  AuditEventsPage,
  AuditEventsQuery,
} from '@internal/plugin-audit-common';
import { AuditApi } from '../api';

/** An AuditApi whose every method is a jest mock (reject unless set). */
export function fakeAuditApi(overrides: Partial<AuditApi> = {}) {
  const api: jest.Mocked<AuditApi> = {
    getEvents: jest.fn<Promise<AuditEventsPage>, [AuditEventsQuery]>(
      async () => ({ items: [] }),
    ),
    exportCsv: jest.fn<Promise<Blob>, [AuditEventsQuery]>(
      async () => new Blob(['seq\n']),
    ),
    getStatus: jest.fn(async () => ({ head: null })),
    verify: jest.fn(async () => ({ ok: true, verified: 0, head: null })),
    createCheckpoint: jest.fn(async () => {
      throw new Error('not faked');
    }),
  };
  Object.assign(api, overrides);
  return api;
}

/** The ResponseError the client throws on a 403. */
export function notAllowed(message = 'Not allowed') {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: 'NotAllowedError', message },
        response: { statusCode: 403 },
      }),
      {
        status: 403,
        statusText: 'Forbidden',
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}

let seq = 0;
/** An event with sensible defaults. */
export function auditEvent(partial: Partial<AuditEvent> = {}): AuditEvent {
  seq += 1;
  return {
    seq,
    at: '2026-11-25T17:00:00.000Z',
    actor: {
      type: 'user',
      ref: 'user:default/anna.schmidt',
      email: 'anna.schmidt@dezky.example',
    },
    action: 'portal.user.signed-in',
    outcome: 'success',
    source: 'portal',
    prevHash: '0'.repeat(64),
    hash: `${seq}`.padStart(64, 'a'),
    ...partial,
  };
}
