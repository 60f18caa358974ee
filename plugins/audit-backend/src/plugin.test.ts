import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { auditPlugin } from './plugin';
import { AuditService } from './services/AuditService';

async function start(result: AuthorizeResult) {
  const { server } = await startTestBackend({
    features: [
      auditPlugin,
      mockServices.permissions.factory({ result: result as any }),
    ],
  });
  return server;
}

describe('audit API', () => {
  it('verifies an empty chain and lists no events for an allowed caller', async () => {
    const server = await start(AuthorizeResult.ALLOW);
    const verify = await request(server)
      .get('/api/audit/verify')
      .set('Authorization', mockCredentials.user.header());
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({
      ok: true,
      verified: 0,
      checkpoints: 0,
      head: null,
    });
    const events = await request(server)
      .get('/api/audit/events?limit=10')
      .set('Authorization', mockCredentials.user.header());
    expect(events.body).toEqual({ items: [] });
  });

  it('refuses callers the policy denies, and bad input with 400', async () => {
    const server = await start(AuthorizeResult.DENY);
    for (const path of ['/api/audit/verify', '/api/audit/events']) {
      const res = await request(server)
        .get(path)
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(403);
    }
    const bad = await request(server)
      .get('/api/audit/events?limit=0')
      .set('Authorization', mockCredentials.user.header());
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('limit');
  });
});

describe('AuditService.record', () => {
  it('group-commits concurrent records into one gap-free chain, each resolving once stored', async () => {
    const batches: number[] = [];
    let seq = 0;
    const store = {
      append: jest.fn(async (inputs: any[]) => {
        batches.push(inputs.length);
        await new Promise(r => setTimeout(r, 5));
        return inputs.map(i => ({ ...i, seq: ++seq, prevHash: '', hash: '' }));
      }),
    };
    const service = new AuditService(
      store as any,
      mockServices.logger.mock(),
      undefined,
      50,
    );
    const input = (n: number) => ({
      at: '2026-11-25T00:00:00.000Z',
      actor: { type: 'system' as const },
      action: `test.${n}`,
      outcome: 'success' as const,
      source: 'portal',
    });
    const events = await Promise.all(
      Array.from({ length: 120 }, (_, n) => service.record(input(n))),
    );
    expect(events.map(e => e.action)).toEqual(
      Array.from({ length: 120 }, (_, n) => `test.${n}`),
    );
    expect(events.map(e => e.seq)).toEqual(
      Array.from({ length: 120 }, (_, n) => n + 1),
    );
    expect(batches.length).toBeLessThan(120); // batched
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
  });

  it('rejects every caller of a failed batch and logs it', async () => {
    const logger = mockServices.logger.mock();
    const store = {
      append: jest.fn().mockRejectedValue(new Error('disk full')),
    };
    const service = new AuditService(store as any, logger);
    await expect(
      service.record({
        at: 'x',
        actor: { type: 'system' },
        action: 'a',
        outcome: 'success',
        source: 'portal',
      }),
    ).rejects.toThrow('disk full');
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('disk full'),
    );
  });
});
