/*
 * The check of a signed checkpoint (AuditCheckpoint: a compact JWS, EdDSA,
 * over { headSeq, headHash, at, reason }) against the chain it vouches for —
 * the same for the backend's verifier (keys from config) and the export
 * verifier (keys from a JWKS).
 */
import { JWK, compactVerify, importJWK } from 'jose';
import { decodeBase64Url, fromUtf8 } from './bytes';
import { AuditBreak, AuditCheckpoint } from './types';

/** What a checkpoint signs. */
export interface CheckpointClaims {
  headSeq: number;
  headHash: string;
  at: string;
  reason: AuditCheckpoint['reason'];
}

/**
 * A checkpoint signed with a key that is not in the configured set: neither
 * `audit.signing.current` nor one of `audit.signing.previous`.
 */
export interface UnknownCheckpointKey {
  unknownKid: string;
  /** The configured key ids, current first. */
  knownKids: string[];
}

/**
 * Verifies a checkpoint's JWS: the signed claims when it holds,
 * {@link UnknownCheckpointKey} when it names a key the verifier does not
 * have and says so (a configuration to fix rather than a forgery), else
 * undefined.
 */
export type CheckpointSignatureVerifier = (
  jws: string,
) => Promise<Partial<CheckpointClaims> | UnknownCheckpointKey | undefined>;

/** The protected header of a compact JWS, if readable. */
function jwsHeader(jws: string): Record<string, unknown> | undefined {
  try {
    const bytes = decodeBase64Url(jws.split('.')[0]);
    const header = bytes && JSON.parse(fromUtf8(bytes));
    return header && typeof header === 'object' ? header : undefined;
  } catch {
    return undefined;
  }
}

/** The key id in a compact JWS's protected header, if readable. */
export function jwsKid(jws: string): string | undefined {
  const kid = jwsHeader(jws)?.kid;
  return typeof kid === 'string' ? kid : undefined;
}

/** A JSON Web Key Set, as GET /api/audit/keys serves it (`keys`). */
export interface AuditJwks {
  keys: JWK[];
}

/**
 * A CheckpointSignatureVerifier over the keys of a JWKS (an export's, or
 * GET /api/audit/keys): a JWS naming a key that is not in the set does not
 * verify (undefined), as a forged one.
 */
export function jwksCheckpointVerifier(
  jwks: AuditJwks,
): CheckpointSignatureVerifier {
  const imported = new Map<string, ReturnType<typeof importJWK>>();
  return async jws => {
    try {
      const kid = jwsKid(jws);
      const jwk = kid && jwks.keys.find(k => k.kid === kid);
      if (!kid || !jwk) return undefined;
      if (!imported.has(kid)) {
        imported.set(kid, importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'));
      }
      const { payload } = await compactVerify(jws, await imported.get(kid)!, {
        algorithms: ['EdDSA'],
      });
      return JSON.parse(fromUtf8(payload));
    } catch {
      return undefined; // malformed, forged, or a key that does not import
    }
  };
}

/**
 * A checkpoint holds when its key is known (else `checkpoint-key-unknown`,
 * when the verifier can tell), its signature verifies and what was signed is
 * what is stored — head, time, reason, and the key its header names
 * (`checkpoint-signature-mismatch`) — and its head is in the chain:
 * `hashAt(headSeq)` is its headHash (`checkpoint-head-mismatch`).
 */
export async function checkCheckpoint(
  c: AuditCheckpoint,
  verify: CheckpointSignatureVerifier,
  hashAt: (seq: number) => string | undefined,
): Promise<AuditBreak | undefined> {
  const verified = await verify(c.jws);
  if (typeof verified === 'object' && verified && 'unknownKid' in verified) {
    return {
      kind: 'checkpoint-key-unknown',
      seq: c.headSeq,
      expected: `a checkpoint signed with a configured key (${
        verified.knownKids.join(', ') || 'none'
      }; audit.signing.current and audit.signing.previous)`,
      actual: `checkpoint ${c.headSeq} signed with key ${verified.unknownKid}, not in the configured keys`,
    };
  }
  const claims = verified;
  const kid = jwsKid(c.jws);
  if (
    !claims ||
    claims.headSeq !== c.headSeq ||
    claims.headHash !== c.headHash ||
    claims.at !== c.at ||
    claims.reason !== c.reason ||
    kid !== c.kid
  ) {
    return {
      kind: 'checkpoint-signature-mismatch',
      seq: c.headSeq,
      expected: `a valid EdDSA signature by key ${c.kid} over head ${c.headSeq} at ${c.at} (${c.reason})`,
      actual: claims
        ? `signed head ${claims.headSeq} ${claims.headHash} at ${claims.at} (${claims.reason}) by key ${kid}`
        : 'signature does not verify',
    };
  }
  const actual = hashAt(c.headSeq) || 'missing';
  if (actual !== c.headHash) {
    return {
      kind: 'checkpoint-head-mismatch',
      seq: c.headSeq,
      expected: c.headHash,
      actual,
    };
  }
  return undefined;
}
