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

/*
 * Every test both ways: the chain walked in the verifying thread, and on
 * worker threads (pages of 7 rows, so the chains here have several): the
 * checkpoints are checked against the hashes the walk saw, either way.
 */
describe.each([
  ['in the verifying thread', false],
  ['on worker threads', true],
])('verify %s', (_mode, onWorkers) => {
  /** An AuditService whose verify walks the chain in this mode. */
  const chainService = (
    store: AuditStore,
    logger: ReturnType<typeof mockServices.logger.mock>,
    signer?: CheckpointSigner,
    maxBatch = 500,
    checkpointEvery = 100,
    options: ConstructorParameters<typeof AuditService>[5] = {},
  ) =>
    new AuditService(store, logger, signer, maxBatch, checkpointEvery, {
      ...options,
      // on PostgreSQL the workers read ranges of the table themselves
      verify: onWorkers ? { workers: 2, pageSize: 7 } : {},
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
        service = chainService(
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

      describe('on a chain without checkpoints', () => {
        let fresh: AuditStore;
        let firstEvents: AuditService;
        let latestCalls: jest.SpyInstance;

        beforeEach(async () => {
          fresh = await AuditStore.create({
            database: mockServices.database({
              knex: await databases.init(databaseId),
            }),
          });
          latestCalls = jest.spyOn(fresh, 'latestCheckpoint');
          firstEvents = chainService(
            fresh,
            mockServices.logger.mock(),
            await CheckpointSigner.fromConfig(
              signerConfig({ kid: 'k1', privateKey: k1.privateKey }),
            ),
            500,
            100,
            { checkpointFirstEvents: true },
          );
        });

        it('signs a first-events checkpoint right after its first events, and not again on later appends', async () => {
          await expect(
            firstEvents.checkpoint('startup'),
          ).resolves.toBeUndefined(); // empty: nothing to sign
          await firstEvents.record(event(1));
          await firstEvents.checkpointsSettled();
          const [first, ...more] = await fresh.checkpoints();
          expect(more).toEqual([]);
          expect(first).toMatchObject({
            reason: 'first-events',
            headSeq: 1,
            kid: 'k1',
          });
          const asked = latestCalls.mock.calls.length;

          for (let i = 2; i <= 40; i++) await firstEvents.record(event(i));
          await firstEvents.checkpointsSettled();
          expect(await fresh.checkpoints()).toHaveLength(1);
          // not signed, nor even asked for, per append
          expect(latestCalls).toHaveBeenCalledTimes(asked);
          await expect(firstEvents.verify()).resolves.toMatchObject({
            ok: true,
            verified: 40,
            checkpoints: 1,
          });
          // the threshold still counts from it: 100 events after seq 1
          for (let i = 41; i <= 101; i++) await firstEvents.record(event(i));
          await firstEvents.checkpointsSettled();
          expect((await fresh.checkpoints()).map(c => c.reason)).toEqual([
            'first-events',
            'threshold',
          ]);
        });

        it('signs none when another instance already signed one', async () => {
          const other = chainService(
            fresh,
            mockServices.logger.mock(),
            await CheckpointSigner.fromConfig(
              signerConfig({ kid: 'k1', privateKey: k1.privateKey }),
            ),
          );
          await other.record(event(1));
          await other.checkpoint('manual');
          latestCalls.mockClear();
          await firstEvents.record(event(2));
          await firstEvents.checkpointsSettled();
          await firstEvents.record(event(3));
          await firstEvents.checkpointsSettled();
          expect((await fresh.checkpoints()).map(c => c.reason)).toEqual([
            'manual',
          ]);
          expect(latestCalls).toHaveBeenCalledTimes(1);
        });

        it('signs nothing on its own without the option', async () => {
          const plain = chainService(
            fresh,
            mockServices.logger.mock(),
            await CheckpointSigner.fromConfig(
              signerConfig({ kid: 'k1', privateKey: k1.privateKey }),
            ),
          );
          await plain.record(event(1));
          await plain.checkpointsSettled();
          expect(await fresh.checkpoints()).toEqual([]);
        });
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
          break: {
            kind: 'checkpoint-head-mismatch',
            seq: 25,
            actual: 'missing',
          },
        });
      });

      it('keeps old checkpoints verifiable after a key rotation', async () => {
        const k2 = keyPair();
        const rotated = await CheckpointSigner.fromConfig(
          signerConfig({ kid: 'k2', privateKey: k2.privateKey }, [
            { kid: 'k1', publicKey: k1.publicKey },
          ]),
        );
        const after = chainService(store, mockServices.logger.mock(), rotated);
        await after.record(event(99));
        await after.checkpoint('manual');
        expect((await store.checkpoints()).map(c => c.kid)).toEqual([
          'k1',
          'k2',
        ]);
        await expect(after.verify()).resolves.toMatchObject({
          ok: true,
          verified: 26,
          checkpoints: 2,
        });
        // without the retired public key, the old checkpoint cannot be checked
        const forgetful = await CheckpointSigner.fromConfig(
          signerConfig({ kid: 'k2', privateKey: k2.privateKey }),
        );
        await expect(
          chainService(store, mockServices.logger.mock(), forgetful).verify(),
        ).resolves.toMatchObject({
          break: { kind: 'checkpoint-key-unknown', seq: 25 },
        });
      });

      it('says a checkpoint key is not configured, rather than reporting tampering, after a restart with another key', async () => {
        // the instance restarts with a new signing key; the one that signed the
        // stored checkpoint is configured neither as current nor as previous
        const k3 = keyPair();
        const restarted = await CheckpointSigner.fromConfig(
          signerConfig({ kid: 'k3', privateKey: k3.privateKey }),
        );
        const after = chainService(
          store,
          mockServices.logger.mock(),
          restarted,
        );
        await expect(after.verify()).resolves.toEqual({
          ok: false,
          verified: 25,
          checkpoints: 0,
          head: expect.objectContaining({ seq: 25 }),
          break: {
            kind: 'checkpoint-key-unknown',
            seq: 25,
            expected: expect.stringContaining('configured key (k3;'),
            actual:
              'checkpoint 25 signed with key k1, not in the configured keys',
          },
        });
        // its own checkpoints are fine; adding k1 back as previous heals it
        await after.checkpoint('manual');
        const healed = await CheckpointSigner.fromConfig(
          signerConfig({ kid: 'k3', privateKey: k3.privateKey }, [
            { kid: 'k1', publicKey: k1.publicKey },
          ]),
        );
        await expect(
          chainService(store, mockServices.logger.mock(), healed).verify(),
        ).resolves.toMatchObject({ ok: true, checkpoints: 2 });
      });

      it('names the key of a checkpoint signed by a key that was never configured', async () => {
        // (a forgery under a configured key id stays a signature mismatch, above)
        const cp = (await store.latestCheckpoint())!;
        const stranger = await CheckpointSigner.fromConfig(
          signerConfig({ kid: 'k9', privateKey: keyPair().privateKey }),
        );
        await knex('audit_checkpoints').update({
          jws: await stranger.sign({
            headSeq: cp.headSeq,
            headHash: cp.headHash,
            at: cp.at,
            reason: cp.reason,
          }),
        });
        await expect(service.verify()).resolves.toMatchObject({
          break: {
            kind: 'checkpoint-key-unknown',
            seq: 25,
            actual:
              'checkpoint 25 signed with key k9, not in the configured keys',
          },
        });
      });
    },
  );
});

describe('CheckpointSigner.fromConfig', () => {
  it('refuses production without a signing key, naming the variables', async () => {
    for (const config of [
      { auth: { environment: 'production' } },
      // app-config.production.yaml with AUDIT_SIGNING_* unset
      { auth: { environment: 'production' }, audit: { signing: {} } },
      {
        auth: { environment: 'production' },
        audit: { signing: { current: {} } },
      },
    ]) {
      await expect(
        CheckpointSigner.fromConfig(new ConfigReader(config)),
      ).rejects.toThrow(
        /^audit\.signing\.current is not configured.*set AUDIT_SIGNING_KID and AUDIT_SIGNING_PRIVATE_KEY/,
      );
    }
  });

  it('names the one variable missing, and a key that is not a PEM', async () => {
    const { privateKey } = keyPair();
    await expect(
      CheckpointSigner.fromConfig(signerConfig({ privateKey } as any)),
    ).rejects.toThrow('set AUDIT_SIGNING_KID');
    await expect(
      CheckpointSigner.fromConfig(signerConfig({ kid: 'k1' } as any)),
    ).rejects.toThrow('set AUDIT_SIGNING_PRIVATE_KEY');
    await expect(
      CheckpointSigner.fromConfig(
        signerConfig({ kid: 'k1', privateKey: 'not a key' }),
      ),
    ).rejects.toThrow(
      'audit.signing.current.privateKey of key k1 is not an Ed25519 PKCS#8 PEM',
    );
  });

  it('generates a key outside production', async () => {
    const signer = await CheckpointSigner.fromConfig(
      new ConfigReader({ auth: { environment: 'development' } }),
    );
    expect(signer.kid).toMatch(/^dev-/);
    expect(signer.keyIds).toEqual([signer.kid]);
  });
});
