import { ResponseError } from '@backstage/errors';
import {
  errorMessage,
  FlagsClient,
  isConflict,
  isNotAllowed,
} from './FlagsClient';

describe('FlagsClient', () => {
  const discoveryApi = {
    getBaseUrl: jest.fn(async (id: string) => `http://backend/api/${id}`),
  };
  const json = (status: number, body: unknown, statusText = '') =>
    new Response(JSON.stringify(body), {
      status,
      statusText,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  const flag = { key: 'a', state: 'off' };
  const jsonInit = (method: string, body: unknown) => ({
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('lists and reads flags from the flags backend', async () => {
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      String(input).endsWith('/flags')
        ? json(200, { items: [flag] })
        : json(200, flag),
    );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.listFlags()).resolves.toEqual([flag]);
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('flags');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags',
      undefined,
    );
    await expect(client.getFlag('gdpr/x')).resolves.toEqual(flag);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags/gdpr%2Fx',
      undefined,
    );
  });

  it('creates, patches, kills and deletes with JSON bodies', async () => {
    const fetch = jest.fn(
      async (_input: RequestInfo | URL, init?: RequestInit) =>
        init?.method === 'DELETE'
          ? new Response(null, { status: 204 })
          : json(200, flag),
    );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });

    await client.createFlag({ key: 'a', description: 'A', type: 'experiment' });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags',
      jsonInit('POST', { key: 'a', description: 'A', type: 'experiment' }),
    );
    await client.updateFlag('a', { state: 'rollout', pct: 12.5 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags/a',
      jsonInit('PATCH', { state: 'rollout', pct: 12.5 }),
    );
    await client.killFlag('a');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags/a/kill',
      {
        method: 'POST',
      },
    );
    await expect(client.deleteFlag('a')).resolves.toBeUndefined();
    expect(fetch).toHaveBeenLastCalledWith('http://backend/api/flags/flags/a', {
      method: 'DELETE',
    });
  });

  it('reads the history, the preview and a tenant’s flags', async () => {
    const scope = {
      plans: ['business'],
      tenants: [],
      partners: [],
      environments: [],
    };
    const fetch = jest.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url.endsWith('/history')) return json(200, { items: [{ seq: 1 }] });
      if (url.endsWith('/preview'))
        return json(200, { matching: 3, total: 12 });
      return json(200, { tenant: 'acme', context: {}, flags: [] });
    });
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.getHistory('a')).resolves.toEqual([{ seq: 1 }]);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/flags/a/history',
      undefined,
    );
    await expect(
      client.preview({ key: 'a', state: 'rollout', pct: 25, scope }),
    ).resolves.toEqual({ matching: 3, total: 12 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/preview',
      jsonInit('POST', { key: 'a', state: 'rollout', pct: 25, scope }),
    );
    await expect(client.getTenantFlags('acme')).resolves.toMatchObject({
      tenant: 'acme',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/flags/tenants/acme',
      undefined,
    );
  });

  it("turns a refusal into a ResponseError carrying the server's message", async () => {
    const fetch = jest.fn(async () =>
      json(
        400,
        {
          error: {
            name: 'InputError',
            message: 'key: must match ^[a-z0-9_-]{1,64}$',
          },
          response: { statusCode: 400 },
        },
        'Bad Request',
      ),
    );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client
      .createFlag({ key: 'A B', description: '' })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(400);
    expect(errorMessage(error)).toBe('key: must match ^[a-z0-9_-]{1,64}$');
    expect(isNotAllowed(error)).toBe(false);
    expect(isConflict(error)).toBe(false);
  });

  it('takes a bare { error: { message } } body as the server message', async () => {
    const fetch = jest.fn(async () =>
      json(400, { error: { message: 'description: Required' } }, 'Bad Request'),
    );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client
      .updateFlag('a', { description: '' })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(400);
    expect(errorMessage(error)).toBe('description: Required');
  });

  it('keeps a non-JSON error body in the message', async () => {
    const fetch = jest.fn(
      async () =>
        new Response('upstream down', {
          status: 502,
          statusText: 'Bad Gateway',
        }),
    );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client.listFlags().catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(502);
    expect(errorMessage(error)).toContain('upstream down');
  });

  it('tells a 403 and a 409 apart', async () => {
    const fetch = jest
      .fn()
      .mockResolvedValueOnce(
        json(
          403,
          { error: { name: 'NotAllowedError', message: 'Not allowed' } },
          'Forbidden',
        ),
      )
      .mockResolvedValueOnce(
        json(
          409,
          { error: { name: 'ConflictError', message: 'exists' } },
          'Conflict',
        ),
      );
    const client = new FlagsClient({ discoveryApi, fetchApi: { fetch } });
    const forbidden = await client.killFlag('a').catch(e => e);
    expect(isNotAllowed(forbidden)).toBe(true);
    const conflict = await client
      .createFlag({ key: 'a', description: '' })
      .catch(e => e);
    expect(isConflict(conflict)).toBe(true);
    expect(errorMessage(conflict)).toBe('exists');
  });
});
