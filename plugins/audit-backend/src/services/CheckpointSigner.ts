import {
  CompactSign,
  JWK,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
} from 'jose';
import { Config } from '@backstage/config';
import {
  CheckpointClaims,
  UnknownCheckpointKey,
} from '@internal/plugin-audit-common';
import { KeyObject, sign as signEd25519 } from 'crypto';

export type { CheckpointClaims } from '@internal/plugin-audit-common';

type KeyLike = Awaited<ReturnType<typeof importPKCS8>>;

/**
 * Production is `auth.environment: production` (app-config.production.yaml)
 * or NODE_ENV=production, as in the sign-in module's production checks.
 */
function isProduction(config: Config): boolean {
  return (
    config.getOptionalString('auth.environment') === 'production' ||
    process.env.NODE_ENV === 'production'
  );
}

/**
 * Signs checkpoints with Ed25519 (JWS, alg EdDSA) and verifies them against
 * every known public key. Keys come from config `audit.signing`:
 * `current` (kid + PKCS#8 private key, secret) signs; `previous` (kid + SPKI
 * public keys) only verify, so checkpoints signed before a rotation stay
 * verifiable. Without config (development), an ephemeral key is generated
 * at start — fine for the in-memory database, refused in production (with
 * the variables to set: AUDIT_SIGNING_KID, AUDIT_SIGNING_PRIVATE_KEY).
 */
export class CheckpointSigner {
  private constructor(
    readonly kid: string,
    private readonly privateKey: KeyLike,
    private readonly publicKeys: Map<string, KeyLike>,
  ) {}

  static async fromConfig(config: Config): Promise<CheckpointSigner> {
    const signing = config.getOptionalConfig('audit.signing');
    const current = signing?.getOptionalConfig('current');
    const kid = current?.getOptionalString('kid');
    const pem = current?.getOptionalString('privateKey');
    const publicKeys = new Map<string, KeyLike>();
    if (!kid && !pem) {
      if (isProduction(config)) {
        throw new Error(
          'audit.signing.current is not configured, production needs a signing key: set AUDIT_SIGNING_KID and AUDIT_SIGNING_PRIVATE_KEY (an Ed25519 PKCS#8 PEM, openssl genpkey -algorithm ed25519; docs/audit.md)',
        );
      }
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
        crv: 'Ed25519',
        extractable: true,
      });
      const devKid = `dev-${Date.now().toString(36)}`;
      publicKeys.set(devKid, publicKey);
      return new CheckpointSigner(devKid, privateKey, publicKeys);
    }
    if (!kid) {
      throw new Error(
        "audit.signing.current.kid is not set: set AUDIT_SIGNING_KID to the signing key's id (docs/audit.md)",
      );
    }
    if (!pem) {
      throw new Error(
        `audit.signing.current.privateKey is not set for key ${kid}: set AUDIT_SIGNING_PRIVATE_KEY to an Ed25519 PKCS#8 PEM (docs/audit.md)`,
      );
    }
    let privateKey: KeyLike;
    try {
      privateKey = await importPKCS8(pem, 'EdDSA', { extractable: true });
    } catch (error) {
      throw new Error(
        `audit.signing.current.privateKey of key ${kid} is not an Ed25519 PKCS#8 PEM (AUDIT_SIGNING_PRIVATE_KEY; openssl genpkey -algorithm ed25519): ${error}`,
      );
    }
    const jwk = await exportJWK(privateKey);
    const { d: _private, ...publicJwk } = jwk;
    publicKeys.set(
      kid,
      (await importJWK(
        { ...publicJwk, alg: 'EdDSA' } as JWK,
        'EdDSA',
      )) as KeyLike,
    );
    for (const previous of signing?.getOptionalConfigArray('previous') ?? []) {
      publicKeys.set(
        previous.getString('kid'),
        await importSPKI(previous.getString('publicKey'), 'EdDSA'),
      );
    }
    return new CheckpointSigner(kid, privateKey, publicKeys);
  }

  /** The ids of every key checkpoints are verified with: current, then previous. */
  get keyIds(): string[] {
    return [...this.publicKeys.keys()];
  }

  async sign(claims: CheckpointClaims): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid })
      .sign(this.privateKey);
  }

  /**
   * Signs any claims (e.g. an archive manifest), with `typ` in the protected
   * header so a signature made for one purpose is not accepted for another.
   */
  async signClaims(claims: object, typ: string): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid, typ })
      .sign(this.privateKey);
  }

  /**
   * The claims of a `signClaims` JWS, when it verifies with a known key and
   * carries `typ`; otherwise undefined.
   */
  async verifyClaims(
    jws: string,
    typ: string,
  ): Promise<{ kid: string; claims: Record<string, unknown> } | undefined> {
    try {
      const header = JSON.parse(
        Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'),
      );
      const key = this.publicKeys.get(header.kid);
      if (!key || header.typ !== typ) return undefined;
      const { payload } = await compactVerify(jws, key, {
        algorithms: ['EdDSA'],
      });
      return {
        kid: header.kid,
        claims: JSON.parse(new TextDecoder().decode(payload)),
      };
    } catch {
      return undefined;
    }
  }

  /**
   * A raw Ed25519 signature (64 bytes) over `data` with the current key — for
   * the Merkle tree's signed notes (see MerkleService), whose verifier key is
   * the current key's `x` in {@link CheckpointSigner.jwks}.
   */
  async signBytes(data: Uint8Array): Promise<Buffer> {
    return signEd25519(null, data, KeyObject.from(this.privateKey));
  }

  /**
   * The signed claims; {@link UnknownCheckpointKey} when the JWS names a key
   * that is not configured (neither current nor previous), so it cannot be
   * checked at all; undefined when the signature does not hold.
   */
  async verify(
    jws: string,
  ): Promise<CheckpointClaims | UnknownCheckpointKey | undefined> {
    try {
      const header = JSON.parse(
        Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'),
      );
      const key = this.publicKeys.get(header.kid);
      if (!key) {
        return typeof header.kid === 'string'
          ? { unknownKid: header.kid, knownKids: this.keyIds }
          : undefined;
      }
      const { payload } = await compactVerify(jws, key);
      return JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return undefined; // a malformed or forged signature is a verification result, not an error
    }
  }

  /** The public keys as a JWKS, for GET /api/audit/keys. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys: JWK[] = [];
    for (const [kid, key] of this.publicKeys) {
      const jwk = await exportJWK(key);
      keys.push({
        kty: jwk.kty,
        crv: jwk.crv,
        x: jwk.x,
        kid,
        alg: 'EdDSA',
        use: 'sig',
      });
    }
    return { keys };
  }
}
