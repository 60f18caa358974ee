import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { generateKeyPairSync } from 'crypto';
import { Knex } from 'knex';
import { AuditStore } from '../database/AuditStore';
import { AuditService } from './AuditService';
import { CheckpointSigner } from './CheckpointSigner';

jest.setTimeout(120_000);
const databases = dezkyTestDatabases();

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const signerConfig = (
  current: { kid: string; privateKey: string },
  previous: object[] = [],
) => new ConfigReader({ audit: { signing: { current, previous } } });

const event = (i: number) => ({
  at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
  actor: { type: 'system' as const },
  action: 'tenant.updated',
  outcome: 'success' as const,
  source: 'portal',
  metadata: { i },
});

describe.each(databases.eachSupportedId())(
  'signed checkpoints on %p',
  databaseId => {
    let knex: Knex;
    let store: AuditStore;
    let service: AuditService;
    const k1 = keyPair();

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      const signer = await CheckpointSigner.fromConfig(
        signerConfig({ kid: 'k1', privateKey: k1.privateKey }),
      );
      service = new AuditService(
        store,
        mockServices.logger.mock(),
        signer,
        500,
        100,
      );
      for (let i = 0; i < 25; i++) await service.record(event(i));
      await service.checkpoint('manual');
    });

    it('signs the head and verifies chain and checkpoints', async () => {
      const cp = await store.latestCheckpoint();
      expect(cp).toMatchObject({ headSeq: 25, kid: 'k1', reason: 'manual' });
      await expect(service.verify()).resolves.toMatchObject({
        ok: true,
        verified: 25,
        checkpoints: 1,
      });
      const { keys } = await service.keys();
      expect(keys).toEqual([
        expect.objectContaining({ kid: 'k1', crv: 'Ed25519', alg: 'EdDSA' }),
      ]);
      expect(keys[0]).not.toHaveProperty('d');
    });

    it('skips a checkpoint when the head has not moved, except on demand', async () => {
      await expect(service.checkpoint('interval')).resolves.toBeUndefined();
      await expect(service.checkpoint('manual')).resolves.toMatchObject({
        headSeq: 25,
      });
    });

    it('signs a threshold checkpoint after 100 new events', async () => {
      await Promise.all(
        Array.from({ length: 110 }, (_, i) => service.record(event(100 + i))),
      );
      for (let i = 0; i < 50 && (await store.checkpoints()).length < 2; i++) {
        await new Promise(r => setTimeout(r, 20));
      }
      const all = await store.checkpoints();
      expect(all.map(c => c.reason)).toEqual(['manual', 'threshold']);
      expect(all[1].headSeq).toBeGreaterThanOrEqual(125);
    });

    it('detects a forged checkpoint signature', async () => {
      const forger = await CheckpointSigner.fromConfig(
        signerConfig({ kid: 'k1', privateKey: keyPair().privateKey }),
      );
      const cp = (await store.latestCheckpoint())!;
      const forged = await forger.sign({
        headSeq: cp.headSeq,
        headHash: cp.headHash,
        at: cp.at,
        reason: cp.reason,
      });
      await knex('audit_checkpoints').update({ jws: forged });
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        break: { kind: 'checkpoint-signature-mismatch', seq: 25 },
      });
    });

    it.each([
      ['time', { at: '2020-01-01T00:00:00.000Z' }],
      ['reason', { reason: 'tampered' }],
      ['key id', { kid: 'someone-else' }],
    ])(
      'detects a stored checkpoint whose %s differs from what was signed',
      async (_what, change) => {
        await knex('audit_checkpoints').update(change);
        await expect(service.verify()).resolves.toMatchObject({
          ok: false,
          break: { kind: 'checkpoint-signature-mismatch', seq: 25 },
        });
      },
    );

    it('detects a rewritten chain that no longer ends where the checkpoint said', async () => {
      // an attacker drops the last five events: the remaining chain is self-consistent
      await knex('audit_events').where('seq', '>', 20).delete();
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: 20,
        break: { kind: 'checkpoint-head-mismatch', seq: 25, actual: 'missing' },
      });
    });

    it('keeps old checkpoints verifiable after a key rotation', async () => {
      const k2 = keyPair();
      const rotated = await CheckpointSigner.fromConfig(
        signerConfig({ kid: 'k2', privateKey: k2.privateKey }, [
          { kid: 'k1', publicKey: k1.publicKey },
        ]),
      );
      const after = new AuditService(
        store,
        mockServices.logger.mock(),
        rotated,
      );
      await after.record(event(99));
      await after.checkpoint('manual');
      expect((await store.checkpoints()).map(c => c.kid)).toEqual(['k1', 'k2']);
      await expect(after.verify()).resolves.toMatchObject({
        ok: true,
        verified: 26,
        checkpoints: 2,
      });
      // without the retired public key, the old checkpoint no longer verifies
      const forgetful = await CheckpointSigner.fromConfig(
        signerConfig({ kid: 'k2', privateKey: k2.privateKey }),
      );
      await expect(
        new AuditService(store, mockServices.logger.mock(), forgetful).verify(),
      ).resolves.toMatchObject({
        break: { kind: 'checkpoint-signature-mismatch', seq: 25 },
      });
    });
  },
);

describe('CheckpointSigner.fromConfig', () => {
  it('refuses production without a signing key', async () => {
    await expect(
      CheckpointSigner.fromConfig(
        new ConfigReader({ auth: { environment: 'production' } }),
      ),
    ).rejects.toThrow('audit.signing.current');
  });
});
