import { ResponseError } from '@backstage/errors';
import { errorMessage, HealthClient } from './HealthClient';

describe('HealthClient', () => {
  const discoveryApi = {
    getBaseUrl: jest.fn(async (id: string) => `http://backend/api/${id}`),
  };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });

  it('reads the status, runs a probe and reads a history', async () => {
    const items = [{ integration: 'integration:default/a', status: 'ok' }];
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      String(input).includes('/history')
        ? json(200, { integration: 'integration:default/a' })
        : json(200, { items }),
    );
    const client = new HealthClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.getStatus()).resolves.toEqual(items);
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('health');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/health/status',
      undefined,
    );
    await expect(client.probe()).resolves.toEqual(items);
    expect(fetch).toHaveBeenLastCalledWith('http://backend/api/health/probe', {
      method: 'POST',
    });
    await expect(
      client.getHistory('integration:ops/stalwart'),
    ).resolves.toEqual({ integration: 'integration:default/a' });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/health/integrations/ops/stalwart/history',
      undefined,
    );
  });

  it('asks for a window and a number of points', async () => {
    const fetch = jest.fn(async () => json(200, { integration: 'x' }));
    const client = new HealthClient({ discoveryApi, fetchApi: { fetch } });

    await client.getHistory('integration:default/stalwart', {
      window: '7d',
      points: 60,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/health/integrations/default/stalwart/history?window=7d&points=60',
      undefined,
    );
    await client.getHistory('stalwart', { points: 60 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/health/integrations/default/stalwart/history?points=60',
      undefined,
    );
    await client.getHistory('integration:default/stalwart', { window: '30d' });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/health/integrations/default/stalwart/history?window=30d',
      undefined,
    );
  });

  it('turns a refusal into a ResponseError with the server message', async () => {
    const fetch = jest.fn(async () =>
      json(403, {
        error: {
          name: 'NotAllowedError',
          message: 'Not allowed: health.probe.run',
        },
        response: { statusCode: 403 },
      }),
    );
    const client = new HealthClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client.probe().catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(403);
    expect(errorMessage(error)).toBe('Not allowed: health.probe.run');
  });
});
