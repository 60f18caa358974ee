import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { scheduleIngest, stalwartWebhookSecret } from './index';
import { IngestContext } from './types';

const ctx: IngestContext = {
  record: async () => [],
  cursors: { get: async () => undefined, set: async () => {} },
  tenants: {
    byRef: async () => undefined,
    byName: async () => undefined,
    byDomain: async () => undefined,
  },
  logger: mockServices.logger.mock(),
};

const scheduled = async (audit: object) => {
  const scheduler = mockServices.scheduler.mock();
  const logger = mockServices.logger.mock();
  await scheduleIngest({
    config: new ConfigReader({ audit }),
    scheduler,
    ctx,
    logger,
  });
  return { tasks: scheduler.scheduleTask.mock.calls.map(([t]) => t), logger };
};

describe('scheduleIngest', () => {
  it('schedules nothing without audit.ingest', async () => {
    expect((await scheduled({})).tasks).toEqual([]);
  });

  it('schedules the Authentik poller every 60 s and the OCIS tailer every 5 s, globally', async () => {
    const { tasks } = await scheduled({
      ingest: {
        authentik: { baseUrl: 'http://authentik:9000', token: 't' },
        ocis: { file: '/var/log/ocis/audit.log' },
      },
    });
    expect(tasks).toEqual([
      expect.objectContaining({
        id: 'audit-ingest-authentik',
        frequency: { seconds: 60 },
        scope: 'global',
      }),
      expect.objectContaining({
        id: 'audit-ingest-ocis',
        frequency: { seconds: 5 },
        scope: 'global',
      }),
    ]);
  });

  it('warns and skips Authentik without a token', async () => {
    const { tasks, logger } = await scheduled({
      ingest: { authentik: { baseUrl: 'http://authentik:9000' } },
    });
    expect(tasks).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('needs baseUrl and token'),
    );
  });

  it('rejects a page size that is not a positive integer', async () => {
    await expect(
      scheduled({
        ingest: {
          authentik: { baseUrl: 'http://a', token: 't', pageSize: 0 },
        },
      }),
    ).rejects.toThrow(/pageSize must be a positive integer/);
  });
});

describe('stalwartWebhookSecret', () => {
  it('is the configured secret, or undefined', () => {
    expect(
      stalwartWebhookSecret(
        new ConfigReader({
          audit: { ingest: { stalwart: { webhookSecret: 's3cret' } } },
        }),
      ),
    ).toBe('s3cret');
    expect(stalwartWebhookSecret(new ConfigReader({}))).toBeUndefined();
  });
});
