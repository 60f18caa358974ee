import { ResponseError } from '@backstage/errors';
import {
  AuditClient,
  errorMessage,
  isNotAllowed,
  toQueryString,
} from './AuditClient';

describe('toQueryString', () => {
  it('is empty without filters', () => {
    expect(toQueryString({})).toBe('');
  });

  it('encodes the filters in a stable order and leaves out empty ones', () => {
    expect(
      toQueryString({
        q: ' acme ',
        action: 'tenant.*',
        outcome: 'failure',
        tenant: 'tenant:default/acme',
        since: '2026-11-25T00:00:00.000Z',
        source: '',
        limit: 50,
        cursor: 'abc==',
      }),
    ).toBe(
      '?since=2026-11-25T00%3A00%3A00.000Z&action=tenant.*&tenant=tenant%3Adefault%2Facme&outcome=failure&q=acme&limit=50&cursor=abc%3D%3D',
    );
  });

  it('passes the tier after the filters, for the list and the CSV', () => {
    expect(toQueryString({ tier: 'archive', q: 'x', limit: 5 })).toBe(
      '?q=x&tier=archive&limit=5',
    );
    expect(toQueryString({ tier: 'archive', cursor: 'c' }, { csv: true })).toBe(
      '?tier=archive',
    );
  });

  it('drops paging for the CSV export', () => {
    expect(
      toQueryString(
        { actor: 'anna@dezky.example', limit: 10, cursor: 'x' },
        { csv: true },
      ),
    ).toBe('?actor=anna%40dezky.example');
  });
});

describe('AuditClient', () => {
  const discoveryApi = {
    getBaseUrl: jest.fn(async (id: string) => `http://backend/api/${id}`),
  };
  const json = (status: number, body: unknown, statusText = '') =>
    new Response(JSON.stringify(body), {
      status,
      statusText,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });

  it('asks the audit backend for events with the filters', async () => {
    const fetch = jest.fn(async () =>
      json(200, { items: [], nextCursor: 'next' }),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    const page = await client.getEvents({ action: 'portal.user.*', limit: 5 });
    expect(page).toEqual({ items: [], nextCursor: 'next' });
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('audit');
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/audit/events?action=portal.user.*&limit=5',
      undefined,
    );
  });

  it('posts a checkpoint and fetches the CSV', async () => {
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      String(input).includes('.csv')
        ? new Response('seq,at\n1,x\n', {
            status: 200,
            headers: { 'content-type': 'text/csv' },
          })
        : json(201, { headSeq: 3, kid: 'k1' }),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.createCheckpoint()).resolves.toMatchObject({
      headSeq: 3,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/checkpoints',
      { method: 'POST' },
    );
    const blob = await client.exportCsv({ source: 'portal', cursor: 'c' });
    expect(await blob.text()).toBe('seq,at\n1,x\n');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/events.csv?source=portal',
      { headers: { Accept: 'text/csv' } },
    );
  });

  it('lists, runs, restores and drops archive batches', async () => {
    const batch = {
      id: 'b/1',
      archivedAt: '2027-02-25T03:00:00.000Z',
      fromSeq: 1,
      toSeq: 10,
      count: 10,
      bytes: 2048,
      manifestSha256: 'c'.repeat(64),
      objectKey: 'a/1-10.jsonl.gz',
      manifestKey: 'a/1-10.manifest.json',
    };
    const fetch = jest.fn(
      async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input);
        if (url.endsWith('/archive/batches'))
          return json(200, { items: [batch] });
        if (url.endsWith('/archive/run'))
          return json(200, { batches: [], message: 'nothing older than 90d' });
        if (init?.method === 'DELETE')
          return new Response(null, { status: 204 });
        return json(200, { restored: 10 });
      },
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.listArchiveBatches()).resolves.toEqual([batch]);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/archive/batches',
      undefined,
    );
    await expect(client.runArchive()).resolves.toEqual({
      batches: [],
      message: 'nothing older than 90d',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/archive/run',
      { method: 'POST' },
    );
    await expect(client.restoreBatch(7)).resolves.toEqual({ restored: 10 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/archive/batches/7/restore',
      { method: 'POST' },
    );
    await expect(client.dropRestoredBatch(7)).resolves.toBeUndefined();
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/archive/batches/7/restore',
      { method: 'DELETE' },
    );
    await client.dropRestoredBatch(42);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/archive/batches/42/restore',
      { method: 'DELETE' },
    );
  });

  it('reads archived events with tier=archive', async () => {
    const fetch = jest.fn(async () => json(200, { items: [] }));
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    await client.getEvents({ tier: 'archive', outcome: 'failure' });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/events?outcome=failure&tier=archive',
      undefined,
    );
  });

  it('fetches the checkpoint note as text and an inclusion proof', async () => {
    const root = Buffer.alloc(32, 7).toString('base64');
    const note = `audit.dezky.example/log\n12\n${root}\n\n\u2014 audit.dezky.example/log AbCd+Ef/gh==\n`;
    const proof = { leafIndex: 6, treeSize: 12, hashes: [root] };
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      String(input).includes('/checkpoint')
        ? new Response(note, {
            status: 200,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          })
        : json(200, proof),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.latestCheckpointNote()).resolves.toEqual({
      origin: 'audit.dezky.example/log',
      treeSize: 12,
      rootHash: root,
      text: note,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/checkpoint',
      { headers: { Accept: 'text/plain' } },
    );
    await expect(client.inclusionProof(7, 12)).resolves.toEqual(proof);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/audit/proofs/inclusion?seq=7&treeSize=12',
      undefined,
    );
  });

  it("turns a refusal into a ResponseError carrying the server's message", async () => {
    const fetch = jest.fn(async () =>
      json(
        400,
        {
          error: { name: 'InputError', message: 'since: Invalid datetime' },
          request: { method: 'GET', url: '/events' },
          response: { statusCode: 400 },
        },
        'Bad Request',
      ),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client.getEvents({ since: 'yesterday' }).catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(400);
    expect(error.cause.name).toBe('InputError');
    expect(errorMessage(error)).toBe('since: Invalid datetime');
    expect(isNotAllowed(error)).toBe(false);
  });

  it('tells a 403 apart', async () => {
    const fetch = jest.fn(async () =>
      json(
        403,
        {
          error: {
            name: 'NotAllowedError',
            message: 'Not allowed: audit.chain.verify',
          },
          response: { statusCode: 403 },
        },
        'Forbidden',
      ),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client.getStatus().catch(e => e);
    expect(isNotAllowed(error)).toBe(true);
    expect(errorMessage(error)).toBe('Not allowed: audit.chain.verify');
  });

  it('keeps a non-JSON error body in the message', async () => {
    const fetch = jest.fn(
      async () =>
        new Response('upstream down', {
          status: 502,
          statusText: 'Bad Gateway',
        }),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client.verify().catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(errorMessage(error)).toContain('upstream down');
  });
});
