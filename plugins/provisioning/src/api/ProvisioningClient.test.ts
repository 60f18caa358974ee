import { ResponseError } from '@backstage/errors';
import {
  errorMessage,
  isNotFound,
  ProvisioningClient,
} from './ProvisioningClient';

describe('ProvisioningClient', () => {
  const discoveryApi = {
    getBaseUrl: jest.fn(async (id: string) => `http://backend/api/${id}`),
  };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  const refusal = (status: number, name: string, message: string) =>
    json(status, {
      error: { name, message },
      response: { statusCode: status },
    });

  it('lists tenants without a query when no filter is given', async () => {
    const list = { items: [{ tenant: 'acme' }], total: 1 };
    const fetch = jest.fn(async () => json(200, list));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });

    await expect(client.listTenants()).resolves.toEqual(list);
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('provisioning');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants',
      undefined,
    );
  });

  it('puts every filter and the page in the query, names joined by commas', async () => {
    const fetch = jest.fn(async () => json(200, { items: [], total: 0 }));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });

    await client.listTenants({
      phase: 'degraded',
      step: 'stalwart',
      status: 'error',
      lifecycle: 'suspended',
      limit: 20,
      offset: 40,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants?phase=degraded&step=stalwart&status=error&lifecycle=suspended&limit=20&offset=40',
      undefined,
    );
    await client.listTenants({ tenants: ['acme', 'b&c', 'x y'], limit: 3 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants?tenants=acme%2Cb%26c%2Cx+y&limit=3',
      undefined,
    );
    // offset 0 is a value, not an absent one
    await client.listTenants({ offset: 0 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants?offset=0',
      undefined,
    );
  });

  it('asks nothing for an empty list of names', async () => {
    const fetch = jest.fn(async () => json(200, { items: [{}], total: 1 }));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    await expect(client.listTenants({ tenants: [] })).resolves.toEqual({
      items: [],
      total: 0,
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reads a tenant, reconciles it and reads the summary', async () => {
    const detail = { tenant: 'a/b c', phase: 'active' };
    const summary = { phases: { pending: 1, active: 2, degraded: 0 } };
    const fetch = jest.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url.endsWith('/reconcile')) {
        return json(200, { outcome: 'queued', tenant: detail });
      }
      return json(200, url.endsWith('/summary') ? summary : detail);
    });
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });

    await expect(client.getTenant('a/b c')).resolves.toEqual(detail);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/a%2Fb%20c',
      undefined,
    );
    await expect(client.reconcile('acme')).resolves.toEqual({
      outcome: 'queued',
      tenant: detail,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/reconcile',
      { method: 'POST' },
    );
    await expect(client.summary()).resolves.toEqual(summary);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/summary',
      undefined,
    );
  });

  it('suspends, resumes and terminates with a JSON body, answering the tenant afterwards', async () => {
    const detail = { tenant: 'a/b', lifecycle: { status: 'suspended' } };
    const fetch = jest.fn(async () => json(200, { tenant: detail }));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const post = (body: object) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    await expect(client.suspend('a/b', 'unpaid invoices')).resolves.toEqual({
      tenant: detail,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/a%2Fb/suspend',
      post({ reason: 'unpaid invoices' }),
    );
    await client.resume('acme');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/resume',
      post({}),
    );
    await client.terminate('acme', 'contract ended', 'acme');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/terminate',
      post({ reason: 'contract ended', confirm: 'acme' }),
    );
  });

  it("rejects a lifecycle action the server refuses, with the server's reason", async () => {
    const fetch = jest.fn(async () =>
      refusal(
        409,
        'ConflictError',
        'acme is suspended in git: change spec.status in its YAML to resume it',
      ),
    );
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const error = await client.resume('acme').catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(errorMessage(error)).toBe(
      'acme is suspended in git: change spec.status in its YAML to resume it',
    );
  });

  it('turns a refusal into a ResponseError with the server message', async () => {
    const fetch = jest.fn(async () =>
      refusal(
        403,
        'NotAllowedError',
        'Not allowed: provisioning.tenant.reconcile',
      ),
    );
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const error = await client.reconcile('acme').catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(403);
    expect(errorMessage(error)).toBe(
      'Not allowed: provisioning.tenant.reconcile',
    );
    expect(isNotFound(error)).toBe(false);
  });

  it('tells a 404 apart', async () => {
    const fetch = jest.fn(async () =>
      refusal(404, 'NotFoundError', 'No tenant nobody'),
    );
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const error = await client.getTenant('nobody').catch(e => e);
    expect(isNotFound(error)).toBe(true);
    expect(errorMessage(error)).toBe('No tenant nobody');
    expect(errorMessage(new Error('network down'))).toBe('network down');
    expect(isNotFound(new Error('x'))).toBe(false);
  });
  it('reads, rechecks and sets the DMARC policy of a domain at their paths', async () => {
    const domain = { domain: 'acme.example', records: [], verified: true };
    const fetch = jest.fn(async () => json(200, domain));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });

    await client.listDomains('acme');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/domains',
      undefined,
    );
    await expect(client.recheckDomain('acme', 'acme.example')).resolves.toEqual(
      domain,
    );
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/domains/acme.example/recheck',
      { method: 'POST' },
    );
    await client.setDmarc('acme', 'acme.example', {
      policy: 'reject',
      rua: 'dmarc@acme.example',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/provisioning/tenants/acme/domains/acme.example/dmarc',
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ policy: 'reject', rua: 'dmarc@acme.example' }),
      },
    );
  });

  it("rejects a refused DMARC change with the server's message", async () => {
    const fetch = jest.fn(async () =>
      refusal(400, 'InputError', 'rua must be an email address'),
    );
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const error = await client
      .setDmarc('acme', 'acme.example', { policy: 'none', rua: 'x' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(errorMessage(error)).toContain('rua must be an email address');
  });
  it('lists, adds, acts on and removes members at their paths', async () => {
    const fetch = jest.fn(async () => json(200, { steps: [] }));
    const client = new ProvisioningClient({
      discoveryApi,
      fetchApi: { fetch },
    });
    const base = 'http://backend/api/provisioning/tenants/acme/members';

    await client.listMembers('acme');
    expect(fetch).toHaveBeenLastCalledWith(base, undefined);
    const member = {
      name: 'Bernd',
      email: 'bernd@acme.example',
      role: 'member' as const,
    };
    await client.createMember('acme', member);
    expect(fetch).toHaveBeenLastCalledWith(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(member),
    });
    for (const action of [
      'suspend',
      'resume',
      'logout',
      'reset-password',
    ] as const) {
      await client.memberAction('acme', '8', action);
      expect(fetch).toHaveBeenLastCalledWith(`${base}/8/${action}`, {
        method: 'POST',
      });
    }
    await client.removeMember('acme', '8');
    expect(fetch).toHaveBeenLastCalledWith(`${base}/8`, { method: 'DELETE' });
  });
});
