import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { IngestTickResult } from './actionMaps';
import { AuthentikPoller } from './authentik';
import { OcisTailer } from './ocis';
import { IngestContext } from './types';

export { AuthentikPoller } from './authentik';
export type { AuthentikCursor, AuthentikEvent } from './authentik';
export { OcisTailer } from './ocis';
export type { OcisCursor } from './ocis';
export {
  STALWART_WEBHOOK_PATH,
  createStalwartWebhookRouter,
  isValidStalwartSignature,
} from './stalwart';
export type { IngestTickResult } from './actionMaps';
export type { IngestContext, IngestCursors } from './types';

/**
 * Schedules the pulling ingests that `audit.ingest` configures, each as a
 * task with scope `global` (one run at a time across backend instances):
 *
 * - `audit-ingest-authentik` every 60 s, when `audit.ingest.authentik` has
 *   `baseUrl` and `token`;
 * - `audit-ingest-ocis` every 5 s, when `audit.ingest.ocis.file` is set (the
 *   file must be readable on every instance that may run the task).
 *
 * A failing tick throws to the scheduler, which logs it; its cursor stays.
 * The Stalwart ingest is a webhook: see {@link stalwartWebhookSecret}.
 */
export async function scheduleIngest(options: {
  /** The root config. */
  config: Config;
  scheduler: SchedulerService;
  ctx: IngestContext;
  logger: LoggerService;
}): Promise<void> {
  const { config, scheduler, ctx, logger } = options;
  const ingest = config.getOptionalConfig('audit.ingest');

  const authentik = ingest?.getOptionalConfig('authentik');
  if (authentik) {
    const baseUrl = authentik.getOptionalString('baseUrl');
    const token = authentik.getOptionalString('token');
    if (baseUrl && token) {
      const poller = new AuthentikPoller({
        ctx,
        baseUrl,
        token,
        pageSize: positiveInteger(authentik, 'pageSize'),
        maxPages: positiveInteger(authentik, 'maxPages'),
      });
      await scheduler.scheduleTask({
        id: 'audit-ingest-authentik',
        frequency: { seconds: 60 },
        timeout: { minutes: 5 },
        scope: 'global',
        fn: async () => report(logger, 'Authentik', await poller.tick()),
      });
    } else {
      logger.warn(
        'audit.ingest.authentik needs baseUrl and token: Authentik events are not ingested',
      );
    }
  }

  const file = ingest?.getOptionalString('ocis.file');
  if (file) {
    const tailer = new OcisTailer({ ctx, file });
    await scheduler.scheduleTask({
      id: 'audit-ingest-ocis',
      frequency: { seconds: 5 },
      timeout: { minutes: 1 },
      scope: 'global',
      fn: async () => report(logger, 'OCIS', await tailer.tick()),
    });
  }
}

/**
 * The key Stalwart signs its webhook with (`audit.ingest.stalwart.webhookSecret`),
 * or undefined when the webhook is not configured — then do not mount
 * `createStalwartWebhookRouter`.
 */
export function stalwartWebhookSecret(config: Config): string | undefined {
  return (
    config.getOptionalString('audit.ingest.stalwart.webhookSecret') || undefined
  );
}

function positiveInteger(config: Config, key: string): number | undefined {
  const value = config.getOptionalNumber(key);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `audit.ingest.authentik.${key} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function report(logger: LoggerService, name: string, r: IngestTickResult) {
  if (r.recorded) {
    logger.info(
      `${name} ingest: recorded ${r.recorded} new of ${r.fetched} event(s) read`,
    );
  }
}
