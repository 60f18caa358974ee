import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { generateKeyPairSync } from 'crypto';
import knexFactory from 'knex';
import { AuditStore } from '../database/AuditStore';
import { MerkleStore } from '../database/MerkleStore';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { MerkleService } from './MerkleService';
import { parseVerifierKey } from './note';
import { checkCheckpoint } from './offline';
import { EMPTY_ROOT } from './rfc9162';

const pem = () =>
  generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

async function setUp() {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const store = await AuditStore.create({
    database: mockServices.database({ knex }),
  });
  const merkle = MerkleStore.attach(store);
  const signer = await CheckpointSigner.fromConfig(
    new ConfigReader({
      audit: {
        signing: {
          current: { kid: 'new', privateKey: pem() },
          previous: [
            {
              kid: 'old',
              publicKey: generateKeyPairSync('ed25519')
                .publicKey.export({ type: 'spki', format: 'pem' })
                .toString(),
            },
          ],
        },
      },
    }),
  );
  const service = new MerkleService(merkle, signer, 'dezky.example/audit');
  return { knex, store, service, signer };
}

describe('MerkleService', () => {
  it('signs the empty tree, and publishes a verifier key per checkpoint key, current first', async () => {
    const { knex, service, signer } = await setUp();
    const { note, treeSize, rootHash } = await service.checkpoint();
    expect(treeSize).toBe(0);
    expect(rootHash).toEqual(EMPTY_ROOT);
    expect(note.split('\n').slice(0, 3)).toEqual([
      'dezky.example/audit',
      '0',
      '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    ]);
    const noteKeys = service.noteKeys(await signer.jwks());
    expect(noteKeys).toHaveLength(2);
    const opened = checkCheckpoint(note, noteKeys.map(parseVerifierKey));
    expect(opened).toMatchObject({ ok: true });
    // only the current key signs: the retired one alone does not open it
    expect(
      checkCheckpoint(note, [parseVerifierKey(noteKeys[1])]),
    ).toMatchObject({ ok: false });
    await expect(service.inclusionProof(1, 1)).rejects.toThrow(InputError);
    await expect(service.consistencyProof(1, 1)).rejects.toThrow(
      'larger than the tree (0 leaves)',
    );
    await knex.destroy();
  });

  it('answers proofs for a grown tree', async () => {
    const { knex, store, service } = await setUp();
    await store.append(
      Array.from({ length: 5 }, (_, i) => ({
        at: new Date(Date.UTC(2026, 10, 26, 0, 0, i)).toISOString(),
        actor: { type: 'system' as const },
        action: 'tenant.updated',
        outcome: 'success' as const,
        source: 'portal',
      })),
    );
    const proof = await service.inclusionProof(5, 5);
    expect(proof).toMatchObject({ leafIndex: 4, treeSize: 5 });
    expect(proof.hashes).toHaveLength(1);
    expect(proof.rootHash).toBe(
      (await service.checkpoint()).rootHash.toString('base64'),
    );
    expect(await service.consistencyProof(5, 5)).toEqual({
      from: 5,
      to: 5,
      hashes: [],
    });
    await expect(service.inclusionProof(0, 5)).rejects.toThrow('≥ 1');
    await expect(service.consistencyProof(0, 5)).rejects.toThrow(
      'from must be ≥ 1',
    );
    await knex.destroy();
  });
});
