import { NotFoundError } from '@backstage/errors';
import { RouterKit } from '@internal/plugin-dezky-node';
import {
  HEALTH_WINDOWS,
  HealthWindow,
  healthProbeRunPermission,
} from '@internal/plugin-health-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { HealthService } from './service/HealthService';

export interface RouterOptions {
  kit: RouterKit;
  service: HealthService;
}

const segment = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/,
    'must be an entity name: letters, digits, ".", "_" and "-"',
  );

/** The chart's window (?window=24h|7d|30d) and number of points (?points=). */
const chartWindow = z
  .enum(HEALTH_WINDOWS as [HealthWindow, ...HealthWindow[]], {
    error: `must be one of ${HEALTH_WINDOWS.join(', ')}`,
  })
  .optional();
const chartPoints = z.coerce
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .min(10, 'must be at least 10')
  .max(2000, 'must be at most 2000')
  .optional();
const historyQuery = z.object({ window: chartWindow, points: chartPoints });

/**
 * The health API (docs/health.md#api): parse → authorize → delegate.
 * Status and history: any signed-in user or service; POST /probe: operators
 * (health.probe.run).
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { kit, service } = options;
  const router = Router();
  router.use(kit.defaults());

  router.get('/status', async (req, res) => {
    await kit.credentials(req);
    res.json({ items: await service.status() });
  });

  router.get('/integrations/:namespace/:name/history', async (req, res) => {
    await kit.credentials(req);
    const namespace = kit.param(req, 'namespace', segment);
    const name = kit.param(req, 'name', segment);
    const chart = kit.query(req, historyQuery);
    const ref = `integration:${namespace}/${name}`;
    const history = await service.history(ref, chart);
    if (!history) {
      throw new NotFoundError(`No integration ${ref}`);
    }
    res.json(history);
  });

  router.post('/probe', async (req, res) => {
    await kit.authorize(req, healthProbeRunPermission);
    res.json({ items: await service.runRound() });
  });

  return router;
}
