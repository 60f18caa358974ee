/**
 * The audit trail's contract, the same for the backend, the portal and
 * scripts/audit-verify: event, query and API types, the permissions, and the
 * verification — the chain hash and its checks, signed checkpoints, the
 * export format and its verifier, the RFC 9162 Merkle tree, C2SP signed
 * notes and proofs. Runs in Node and in the browser (no Node-only crypto:
 * SHA-256 native where the runtime has it, else pure; Ed25519 by WebCrypto).
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export {
  decodeBase64,
  decodeHex,
  encodeBase64,
  encodeHex,
  equalBytes,
} from './bytes';
export { sha256, sha256Hex } from './sha256';
export { isCanonicalJsonText } from './canonicalText';
export {
  canonicalJson,
  chainHash,
  chainText,
  checkEvent,
  checkLink,
  checkRun,
  quote as jsonString,
} from './chain';
export type { ChainLink, ChainPosition, RunBreak } from './chain';
export { checkCheckpoint, jwksCheckpointVerifier, jwsKid } from './checkpoints';
export type {
  AuditJwks,
  CheckpointClaims,
  CheckpointSignatureVerifier,
  UnknownCheckpointKey,
} from './checkpoints';
export {
  AUDIT_EXPORT_FORMAT,
  AuditExportFormatError,
  verifyExport,
} from './exportFile';
export type {
  AuditExportHeader,
  AuditExportLine,
  AuditExportVerifyResult,
} from './exportFile';
export * from './merkle/rfc9162';
export * from './merkle/note';
export * from './merkle/proofs';
