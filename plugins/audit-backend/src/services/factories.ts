import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { Config } from '@backstage/config';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  AuditTrailService,
  auditTrailServiceRef,
} from '@internal/plugin-audit-node';
import { AuditStore } from '../database/AuditStore';
import { MerkleStore } from '../database/MerkleStore';
import { MerkleService, transparencyOrigin } from '../merkle/MerkleService';
import { attribute } from './attribution';
import { AuditService } from './AuditService';
import { ChainAuditor } from './ChainAuditor';
import { CheckpointSigner } from './CheckpointSigner';
import { CatalogTenantDirectory, TenantDirectory } from './TenantDirectory';
import { availableParallelism } from 'os';

/** `audit.verify.workers`, else the CPUs, at most 4 (config.d.ts). */
export function verifyWorkers(config: Config): number {
  const configured = config.getOptionalNumber('audit.verify.workers');
  if (configured === undefined) return Math.min(4, availableParallelism());
  if (!Number.isInteger(configured) || configured < 0) {
    throw new Error(
      `audit.verify.workers must be a whole number from 0, not ${configured}`,
    );
  }
  return configured;
}

/**
 * The audit chain of this backend instance: one store and one group-commit
 * queue shared by every plugin, on the audit plugin's database
 * (`backend.database`, plugin id `audit`).
 */
export const auditChainServiceRef = createServiceRef<AuditService>({
  id: 'dezky.audit.chain',
  scope: 'root',
});

export const auditChainServiceFactory = createServiceFactory({
  service: auditChainServiceRef,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.rootLogger,
    lifecycle: coreServices.rootLifecycle,
  },
  async factory({ config, logger, lifecycle }) {
    const auditLogger = logger.child({ plugin: 'audit' });
    const database = DatabaseManager.fromConfig(config).forPlugin('audit', {
      logger: auditLogger,
      lifecycle,
    });
    const store = await AuditStore.create({ database });
    const signer = await CheckpointSigner.fromConfig(config);
    // the Merkle tree (RFC 9162) grows in every append's transaction; the
    // leaves of events from before it are built once, here
    const merkle = MerkleStore.attach(store);
    const built = await merkle.backfill();
    if (built) {
      auditLogger.info(`Audit Merkle tree: built ${built} leaves`);
    }
    // a fresh chain signs its first checkpoint right after its first events
    return new AuditService(store, auditLogger, signer, 500, 100, {
      checkpointFirstEvents: true,
      verify: { workers: verifyWorkers(config) },
    }).useMerkle(new MerkleService(merkle, signer, transparencyOrigin(config)));
  },
});

/** Records with tenant and partner attribution; see {@link attribute}. */
export function attributingTrail(
  chain: Pick<AuditService, 'recordAll'>,
  tenants: TenantDirectory,
  logger: { warn(message: string): void },
): AuditTrailService {
  return {
    async record(inputs) {
      const attributed = await Promise.all(
        inputs.map(input =>
          attribute(input, tenants).catch(error => {
            // the lookup failed, not the write: keep the event, unattributed
            logger.warn(
              `Audit: could not attribute ${input.action} to a partner: ${error}`,
            );
            return input;
          }),
        ),
      );
      return chain.recordAll(attributed);
    },
  };
}

export const auditTrailServiceFactory = createServiceFactory({
  service: auditTrailServiceRef,
  deps: {
    chain: auditChainServiceRef,
    catalog: catalogServiceRef,
    auth: coreServices.auth,
    logger: coreServices.logger,
  },
  factory({ chain, catalog, auth, logger }) {
    return attributingTrail(
      chain,
      new CatalogTenantDirectory({ catalog, auth }),
      logger,
    );
  },
});

/** Backstage's `coreServices.auditor`, for every plugin, writing to the chain. */
export const chainAuditorServiceFactory = createServiceFactory({
  service: coreServices.auditor,
  deps: {
    trail: auditTrailServiceRef,
    httpAuth: coreServices.httpAuth,
    logger: coreServices.logger,
    plugin: coreServices.pluginMetadata,
  },
  factory({ trail, httpAuth, logger, plugin }) {
    return new ChainAuditor({
      pluginId: plugin.getId(),
      trail,
      httpAuth,
      logger,
    });
  },
});
