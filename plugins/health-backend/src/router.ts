import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
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
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
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

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InputError(`${field}: ${result.error.issues[0].message}`);
  }
  return result.data;
}

/**
 * The health API (docs/health.md#api): parse → authorize → delegate.
 * Status and history: any signed-in user or service; POST /probe: operators
 * (health.probe.run).
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, service } = options;
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  const signedIn = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  const authorize = async (
    req: express.Request,
    permission: BasicPermission,
  ): Promise<BackstageCredentials> => {
    const credentials = await signedIn(req);
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
    return credentials;
  };

  router.get('/status', async (req, res) => {
    await signedIn(req);
    res.json({ items: await service.status() });
  });

  router.get('/integrations/:namespace/:name/history', async (req, res) => {
    const namespace = parse(segment, req.params.namespace, 'namespace');
    const name = parse(segment, req.params.name, 'name');
    const chart = {
      window: parse(chartWindow, req.query.window, 'window'),
      points: parse(chartPoints, req.query.points, 'points'),
    };
    await signedIn(req);
    const ref = `integration:${namespace}/${name}`;
    const history = await service.history(ref, chart);
    if (!history) {
      throw new NotFoundError(`No integration ${ref}`);
    }
    res.json(history);
  });

  router.post('/probe', async (req, res) => {
    await authorize(req, healthProbeRunPermission);
    res.json({ items: await service.runRound() });
  });

  return router;
}
