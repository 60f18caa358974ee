import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
  auditEventReadPermission,
} from '@internal/plugin-audit-common';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditService } from './services/AuditService';

const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

/** parse → authorize → delegate; errors from @backstage/errors. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  audit: AuditService;
}): Promise<express.Router> {
  const { httpAuth, permissions, audit } = options;
  const router = Router();
  router.use(express.json());

  const authorize = async (
    req: express.Request,
    permission: BasicPermission,
  ) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
  };

  router.get('/verify', async (req, res) => {
    await authorize(req, auditChainVerifyPermission);
    res.json(await audit.verify());
  });

  // public: anyone may check checkpoint signatures offline
  router.get('/keys', async (_req, res) => {
    res.json(await audit.keys());
  });

  router.post('/checkpoints', async (req, res) => {
    await authorize(req, auditCheckpointCreatePermission);
    res.status(201).json(await audit.checkpoint('manual'));
  });

  router.get('/events', async (req, res) => {
    const parsed = eventsQuery.safeParse(req.query);
    if (!parsed.success) {
      throw new InputError(
        parsed.error.issues
          .map(i => `${i.path.join('.')}: ${i.message}`)
          .join('; '),
      );
    }
    await authorize(req, auditEventReadPermission);
    res.json(await audit.events(parsed.data));
  });

  return router;
}
