import { ResponseError } from '@backstage/errors';
import { AuditEvent, AuditEventsPage } from '@internal/plugin-audit-common';
import {
  AuditApi,
  AuditArchiveBatch,
  AuditCheckpointNote,
  AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditRestoreResult,
} from '../api';

/**
 * An AuditApi whose every method is a jest mock: reads answer empty, the
 * Merkle endpoints refuse (403, as for non-operators), other writes reject
 * unless set.
 */
export function fakeAuditApi(overrides: Partial<AuditApi> = {}) {
  const api: jest.Mocked<AuditApi> = {
    getEvents: jest.fn<Promise<AuditEventsPage>, [AuditEventsQueryWithTier]>(
      async () => ({ items: [] }),
    ),
    exportCsv: jest.fn<Promise<Blob>, [AuditEventsQueryWithTier]>(
      async () => new Blob(['seq\n']),
    ),
    getStatus: jest.fn(async () => ({ head: null })),
    verify: jest.fn(async () => ({ ok: true, verified: 0, head: null })),
    createCheckpoint: jest.fn(async () => {
      throw new Error('not faked');
    }),
    listArchiveBatches: jest.fn<Promise<AuditArchiveBatch[]>, []>(
      async () => [],
    ),
    runArchive: jest.fn(async () => ({
      cutoff: '2027-01-01T00:00:00.000Z',
      batches: [],
      events: 0,
    })),
    restoreBatch: jest.fn<
      Promise<AuditRestoreResult>,
      [AuditArchiveBatch['id']]
    >(async () => {
      throw new Error('not faked');
    }),
    dropRestoredBatch: jest.fn<Promise<void>, [AuditArchiveBatch['id']]>(
      async () => {
        throw new Error('not faked');
      },
    ),
    latestCheckpointNote: jest.fn<Promise<AuditCheckpointNote>, []>(
      async () => {
        throw await notAllowed('Not allowed: audit.chain.verify');
      },
    ),
    inclusionProof: jest.fn<Promise<AuditInclusionProof>, [number, number]>(
      async () => {
        throw await notAllowed('Not allowed: audit.chain.verify');
      },
    ),
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

/** An archived batch with sensible defaults. */
export function archiveBatch(
  partial: Partial<AuditArchiveBatch> = {},
): AuditArchiveBatch {
  const fromSeq = partial.fromSeq ?? 1;
  const toSeq = partial.toSeq ?? fromSeq + 4999;
  return {
    id: fromSeq,
    archivedAt: '2027-02-25T03:00:00.000Z',
    fromSeq,
    toSeq,
    count: toSeq - fromSeq + 1,
    bytes: 1_572_864,
    manifestSha256: `${fromSeq}`.padStart(64, 'c'),
    objectKey: `audit/${fromSeq}-${toSeq}.jsonl.gz`,
    manifestKey: `audit/${fromSeq}-${toSeq}.manifest.json`,
    ...partial,
  };
}
