import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  EMPTY_ROOT,
  checkCheckpointNote,
  encodeBase64,
  formatCheckpoint,
  formatVerifierKey,
  openCheckpoint,
  parseVerifierKey,
  signNote,
} from '@internal/plugin-audit-common';
import { generateKeyPairSync } from 'crypto';
import knexFactory from 'knex';
import { AuditStore } from '../database/AuditStore';
import { MerkleStore } from '../database/MerkleStore';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { MerkleService, transparencyOrigin } from './MerkleService';

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
    const opened = await checkCheckpointNote(
      note,
      noteKeys.map(parseVerifierKey),
    );
    expect(opened).toMatchObject({ ok: true });
    // only the current key signs: the retired one alone does not open it
    expect(
      await checkCheckpointNote(note, [parseVerifierKey(noteKeys[1])]),
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
      encodeBase64((await service.checkpoint()).rootHash),
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

  it("signs notes with the checkpoint signer's Ed25519 key, verifiable with the key it publishes", async () => {
    for (const config of [
      new ConfigReader({
        audit: { signing: { current: { kid: 'k1', privateKey: pem() } } },
      }),
      new ConfigReader({}), // the ephemeral development key
    ]) {
      const signer = await CheckpointSigner.fromConfig(config);
      const { keys } = await signer.jwks();
      const publicKey = Buffer.from(
        keys.find(k => k.kid === signer.kid)!.x!,
        'base64url',
      );
      const origin = 'portal.dezky.example/audit';
      const note = await signNote(
        formatCheckpoint({
          origin,
          treeSize: 3,
          rootHash: new Uint8Array(32),
        }),
        { name: origin, publicKey, sign: data => signer.signBytes(data) },
      );
      const verifier = parseVerifierKey(formatVerifierKey(origin, publicKey));
      await expect(openCheckpoint(note, [verifier])).resolves.toMatchObject({
        origin,
        treeSize: 3,
        signedBy: verifier,
      });
    }
  });

  it('takes the origin from config, else the backend host', () => {
    const origin = (data: object) => transparencyOrigin(new ConfigReader(data));
    expect(origin({})).toBe('dezky.example/audit');
    expect(
      origin({ backend: { baseUrl: 'https://portal.dezky.example' } }),
    ).toBe('portal.dezky.example/audit');
    expect(origin({ backend: { baseUrl: 'http://localhost:7007' } })).toBe(
      'localhost:7007/audit',
    );
    expect(
      origin({
        backend: { baseUrl: 'http://localhost:7007' },
        audit: { transparency: { origin: 'audit.dezky.example/log' } },
      }),
    ).toBe('audit.dezky.example/log');
    expect(() =>
      origin({ audit: { transparency: { origin: 'two words' } } }),
    ).toThrow('audit.transparency.origin');
  });
});
