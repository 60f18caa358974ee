import { InputError } from '@backstage/errors';
import { PayloadTooLargeError } from '@internal/plugin-dezky-node';
import express from 'express';
import Router from 'express-promise-router';
import { WebhookService } from './service/WebhookService';

/**
 * `POST /stripe/webhook` (docs/billing.md#webhooks-and-invoices): Stripe's
 * deliveries, unauthenticated, verified by their signature. The body is read
 * raw (any content type, up to 1 MB) because the signature covers its exact
 * bytes: mount this router before any JSON parser. Errors are thrown as
 * @backstage/errors and answered by Backstage's error handler like the rest
 * of the API (400 signature, 413 too large, 503 not connected).
 */
export function createWebhookRouter(options: {
  webhooks: WebhookService;
}): express.Router {
  const { webhooks } = options;
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '1mb' });

  router.post(
    '/stripe/webhook',
    (req, res, next) => {
      raw(req, res, error => {
        if (!error) {
          next();
          return;
        }
        const e = error as { type?: string; message?: string };
        next(
          e.type === 'entity.too.large'
            ? new PayloadTooLargeError('body: larger than 1 MB')
            : new InputError(`body: could not be read (${e.message})`),
        );
      });
    },
    async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(await webhooks.receive(body, req.get('stripe-signature')));
    },
  );

  return router;
}
