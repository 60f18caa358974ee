import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  AuditConsistencyProof,
  AuditInclusionProof,
  encodeBase64,
  formatCheckpoint,
  formatVerifierKey,
  isValidKeyName,
  signNote,
} from '@internal/plugin-audit-common';
import { JWK } from 'jose';
import { MerkleStore } from '../database/MerkleStore';

/** The signing part of CheckpointSigner the notes need. */
export interface NoteSigningKey {
  readonly kid: string;
  signBytes(data: Uint8Array): Promise<Uint8Array>;
  jwks(): Promise<{ keys: JWK[] }>;
}

const DEFAULT_ORIGIN = 'dezky.example/audit';

/**
 * The checkpoint origin (and note key name): `audit.transparency.origin`,
 * else `<host of backend.baseUrl>/audit`, else `dezky.example/audit`.
 */
export function transparencyOrigin(config: Config): string {
  const configured = config.getOptionalString('audit.transparency.origin');
  if (configured !== undefined) {
    if (!isValidKeyName(configured)) {
      throw new Error(
        `audit.transparency.origin must be non-empty, without white space or "+": ${JSON.stringify(
          configured,
        )}`,
      );
    }
    return configured;
  }
  const baseUrl = config.getOptionalString('backend.baseUrl');
  try {
    const host = baseUrl && new URL(baseUrl).host;
    if (host) return `${host}/audit`;
  } catch {
    // not a URL: the default
  }
  return DEFAULT_ORIGIN;
}

const b64 = encodeBase64;

/**
 * The Merkle tree's API: signed checkpoints (C2SP tlog-checkpoint notes) of
 * the current tree, inclusion and consistency proofs (RFC 9162), and the
 * verifier keys of the notes. Sizes and seqs are checked here (InputError).
 */
export class MerkleService {
  constructor(
    private readonly store: MerkleStore,
    private readonly key: NoteSigningKey,
    /** The checkpoints' origin line, also the note key's name. */
    readonly origin: string,
  ) {}

  /** The signed note of the current tree, its size and root. */
  async checkpoint(): Promise<{
    note: string;
    treeSize: number;
    rootHash: Uint8Array;
  }> {
    const treeSize = await this.store.treeSize();
    const rootHash = await this.store.rootAt(treeSize);
    const publicKey = await this.currentPublicKey();
    const note = await signNote(
      formatCheckpoint({ origin: this.origin, treeSize, rootHash }),
      {
        name: this.origin,
        publicKey,
        sign: data => this.key.signBytes(data),
      },
    );
    return { note, treeSize, rootHash };
  }

  /** The proof that the event of `seq` is in the tree of `treeSize` leaves. */
  async inclusionProof(
    seq: number,
    treeSize: number,
  ): Promise<Required<AuditInclusionProof>> {
    const current = await this.store.treeSize();
    if (seq < 1 || treeSize < 1) {
      throw new InputError('seq and treeSize must be ≥ 1');
    }
    if (treeSize > current) {
      throw new InputError(
        `treeSize ${treeSize} is larger than the tree (${current} leaves)`,
      );
    }
    if (seq > treeSize) {
      throw new InputError(
        `seq ${seq} is not in the tree of ${treeSize} leaves (seq 1–${treeSize})`,
      );
    }
    const proof = await this.store.inclusionProof(seq - 1, treeSize);
    return {
      leafIndex: seq - 1,
      treeSize,
      hashes: proof.hashes.map(b64),
      rootHash: b64(proof.rootHash),
    };
  }

  /** The proof that the tree of `from` leaves is a prefix of that of `to`. */
  async consistencyProof(
    from: number,
    to: number,
  ): Promise<AuditConsistencyProof> {
    const current = await this.store.treeSize();
    if (from < 1) throw new InputError('from must be ≥ 1');
    if (from > to) throw new InputError(`from ${from} is larger than to ${to}`);
    if (to > current) {
      throw new InputError(
        `to ${to} is larger than the tree (${current} leaves)`,
      );
    }
    const hashes = await this.store.consistencyProof(from, to);
    return { from, to, hashes: hashes.map(b64) };
  }

  /**
   * The verifier keys of the notes, one per checkpoint key (current first,
   * then the retired ones, so older notes stay verifiable):
   * `<origin>+<hex key hash>+<base64(0x01 ‖ public key)>`.
   */
  noteKeys(jwks: { keys: JWK[] }): string[] {
    return jwks.keys
      .filter(k => k.kty === 'OKP' && k.crv === 'Ed25519' && k.x)
      .map(k => formatVerifierKey(this.origin, Buffer.from(k.x!, 'base64url')));
  }

  private async currentPublicKey(): Promise<Uint8Array> {
    const jwk = (await this.key.jwks()).keys.find(k => k.kid === this.key.kid);
    if (!jwk?.x) throw new Error(`no public key of ${this.key.kid}`);
    return Buffer.from(jwk.x, 'base64url');
  }
}
