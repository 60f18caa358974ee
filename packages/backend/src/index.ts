/*
 * The Dezky Operator Portal backend: Backstage's catalog, auth and permission
 * framework, plus the Dezky plugins. Each feature is a single line here;
 * configuration lives in app-config*.yaml.
 */
import { createBackend } from '@backstage/backend-defaults';
import { productionChecksServiceFactory } from './productionChecks';
import { startupFailure } from './startupFailure';
import { startupLockServiceFactory } from './startupLock';

const backend = createBackend();

// Production refuses development settings and missing secrets before any
// database is touched (docs/operations.md#production).
backend.add(productionChecksServiceFactory);
// On PostgreSQL, instances start one at a time: the first migrates every
// plugin's database while the others wait (docs/operations.md#first-start-of-a-cluster).
backend.add(startupLockServiceFactory);

// Serves the frontend bundle (packages/app) from the backend in production.
backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: OIDC as Authentik issues it (scripts/dev-idp in development),
// mapped by email to catalog users. See docs/security.md.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@internal/plugin-auth-backend-module-dezky'));

// The catalog holds the desired state: partners, tenants, integrations, people.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@internal/plugin-catalog-backend-module-dezky'));
// Logs every entity processing error, and lists entities that failed processing
// (GET /api/catalog/entities/unprocessed/pending), so invalid YAML is visible.
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
backend.add(import('@backstage/plugin-catalog-backend-module-unprocessed'));

// Permissions: the Dezky policy decides for every plugin (docs/security.md).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@internal/plugin-permission-backend-module-dezky'));

// The audit trail: a hash-chained, verifiable event store (GET /api/audit/verify).
// Also installs coreServices.auditor for every plugin, so the catalog's own
// entity and location mutations land in the chain (docs/audit.md).
backend.add(import('@internal/plugin-audit-backend'));

// Feature flags: the flags, their evaluation per tenant (also over OFREP for
// OpenFeature clients) and the audit of every change (docs/flags.md). Other
// backend plugins ask flagsServiceRef from `plugin-flags-node`.
backend.add(import('@internal/plugin-flags-backend'));
// Billing: the price catalog so far; Stripe subscriptions, invoices,
// webhooks and MRR follow (docs/billing.md).
backend.add(import('@internal/plugin-billing-backend'));

// Integration health: probes from each Integration's spec.probe on the
// scheduler, with history (GET /api/health/status, docs/health.md).
backend.add(import('@internal/plugin-health-backend'));

// Provisioning: makes Authentik, Stalwart and OCIS match the catalog, tenant
// by tenant, like a controller (docs/provisioning.md); the API under
// /api/provisioning. In development scripts/dev-platform stands in for them.
backend.add(import('@internal/plugin-provisioning-backend'));

// A start that fails (a refused production configuration, an unreachable
// database, a failed migration) ends the process with the reason on one line
// of stderr, so an orchestrator sees it and restarts or reports it; the
// backend would otherwise keep running, never ready.
backend.start().catch(error => {
  process.stderr.write(`${startupFailure(error)}\n`);
  process.exit(1);
});
