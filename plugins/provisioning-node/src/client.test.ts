import { mockServices } from '@backstage/backend-test-utils';
import { ResponseError } from '@backstage/errors';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ProvisioningClient } from './client';

const DETAIL = {
  tenantRef: 'tenant:default/acme',
  name: 'acme',
  title: 'ACME',
  phase: 'active',
  steps: [
    {
      step: 'authentik',
      status: 'ok',
      lastTransitionTime: '2026-12-07T10:00:00.000Z',
      attempts: 0,
      external: { groupId: 'g-1' },
      desired: { name: 'acme' },
      observed: { name: 'acme' },
      differences: [],
    },
  ],
  attempts: [],
  dnsRecords: [],
};

/** A local HTTP server in the provisioning backend's place: records what it was asked. */
async function backend(answer: (path: string) => [number, unknown]) {
  const requests: Array<{ path: string; authorization?: string }> = [];
  const server = http.createServer((req, res) => {
    requests.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
    });
    const [status, body] = answer(req.url ?? '');
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  const client = new ProvisioningClient({
    discovery: {
      getBaseUrl: async id => `http://127.0.0.1:${port}/api/${id}`,
      getExternalBaseUrl: async id => `http://127.0.0.1:${port}/api/${id}`,
    },
    auth: mockServices.auth(),
  });
  return {
    client,
    requests,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

describe('ProvisioningClient', () => {
  it('reads a tenant by name or entity ref with a service token, and keeps phase and conditions only', async () => {
    const b = await backend(() => [200, DETAIL]);
    try {
      for (const key of ['acme', 'tenant:default/acme', 'tenant:acme']) {
        expect(await b.client.tenant(key)).toEqual({
          phase: 'active',
          steps: [
            {
              step: 'authentik',
              status: 'ok',
              lastTransitionTime: '2026-12-07T10:00:00.000Z',
              attempts: 0,
              external: { groupId: 'g-1' },
            },
          ],
        });
      }
      expect(b.requests.map(r => r.path)).toEqual([
        '/api/provisioning/tenants/acme',
        '/api/provisioning/tenants/acme',
        '/api/provisioning/tenants/acme',
      ]);
      for (const r of b.requests) {
        expect(r.authorization).toMatch(/^Bearer .+/);
      }
    } finally {
      await b.close();
    }
  });

  it('answers undefined for a tenant the backend does not know, and throws on other errors', async () => {
    const b = await backend(path =>
      path.endsWith('/ghost')
        ? [404, { error: { name: 'NotFoundError', message: 'no tenant' } }]
        : [500, { error: { name: 'Error', message: 'database gone' } }],
    );
    try {
      expect(await b.client.tenant('ghost')).toBeUndefined();
      await expect(b.client.tenant('acme')).rejects.toBeInstanceOf(
        ResponseError,
      );
      await expect(b.client.tenant('acme')).rejects.toThrow(/500/);
    } finally {
      await b.close();
    }
  });

  it('lists every tenant page by page (200 a page) with a service token, and throws when a page fails', async () => {
    const summary = (i: number) => ({
      tenant: `t${String(i).padStart(4, '0')}`,
      phase: i % 3 ? 'active' : 'degraded',
      lifecycle: { status: 'active', source: 'git' },
      steps: [],
    });
    const all = Array.from({ length: 450 }, (_, i) => summary(i));
    const page = (path: string): [number, unknown] => {
      const q = new URL(path, 'http://x').searchParams;
      const offset = Number(q.get('offset'));
      const limit = Number(q.get('limit'));
      return [
        200,
        { items: all.slice(offset, offset + limit), total: all.length },
      ];
    };
    const b = await backend(page);
    try {
      expect(await b.client.tenants()).toEqual(all);
      expect(b.requests.map(r => r.path)).toEqual([
        '/api/provisioning/tenants?limit=200&offset=0',
        '/api/provisioning/tenants?limit=200&offset=200',
        '/api/provisioning/tenants?limit=200&offset=400',
      ]);
      for (const r of b.requests) {
        expect(r.authorization).toMatch(/^Bearer .+/);
      }
    } finally {
      await b.close();
    }
    // exactly one full page: no request past the total
    all.splice(200);
    const exact = await backend(page);
    try {
      expect(await exact.client.tenants()).toHaveLength(200);
      expect(exact.requests).toHaveLength(1);
    } finally {
      await exact.close();
    }
    const failing = await backend(path =>
      path.includes('offset=200')
        ? [503, { error: { name: 'Error', message: 'busy' } }]
        : page(path),
    );
    try {
      all.push(...Array.from({ length: 100 }, (_, i) => summary(200 + i)));
      await expect(failing.client.tenants()).rejects.toThrow(/503/);
    } finally {
      await failing.close();
    }
  });
});
