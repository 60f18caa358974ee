/*
 * SHA-256, synchronous, wherever this package runs: Node's own (native) when
 * the runtime offers it — `process.getBuiltinModule`, Node 22 — else a pure
 * implementation (@noble/hashes), e.g. in the browser. Synchronous because
 * the chain hash of every event and every Merkle node is computed in loops
 * of millions; WebCrypto's digest is asynchronous only.
 *
 * No static import of a Node module, so bundlers for the browser see none.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { encodeHex, utf8 } from './bytes';

/**
 * A built-in module of Node (`node:crypto`), when this runs in Node: through
 * `process.getBuiltinModule`, which a bundler for the browser does not see.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const process = (
    globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  return process?.getBuiltinModule?.(id) as T | undefined;
}

interface NodeHash {
  createHash(algorithm: 'sha256'): {
    update(data: Uint8Array): unknown;
    digest(): Uint8Array;
  };
  hash(algorithm: 'sha256', data: string, encoding: 'hex'): string;
}

function nodeCrypto(): NodeHash | undefined {
  const crypto = nodeBuiltin<Partial<NodeHash>>('node:crypto');
  return typeof crypto?.hash === 'function' &&
    typeof crypto?.createHash === 'function'
    ? (crypto as NodeHash)
    : undefined;
}

/** A SHA-256 implementation: of bytes, and of a string as UTF-8 in hex. */
export interface Sha256 {
  /** SHA-256 of the concatenation of `parts`. */
  bytes(...parts: Uint8Array[]): Uint8Array;
  /** SHA-256 (lower-case hex) of `text` as UTF-8. */
  hex(text: string): string;
}

/** The pure implementation (@noble/hashes), as in a browser. */
export const portableSha256: Sha256 = {
  bytes(...parts) {
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hex: text => encodeHex(nobleSha256(utf8(text))),
};

/** Node's native implementation, when this runtime has one. */
export function nativeSha256(): Sha256 | undefined {
  const crypto = nodeCrypto();
  return (
    crypto && {
      bytes(...parts) {
        const h = crypto.createHash('sha256');
        for (const p of parts) h.update(p);
        const digest = h.digest();
        // a Uint8Array of this realm over the Buffer's bytes (no copy), so
        // `instanceof Uint8Array` holds where Node's realm is not this one
        // (jest)
        return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
      },
      // the one-shot crypto.hash: no Hash object per call
      hex: text => crypto.hash('sha256', text, 'hex'),
    }
  );
}

const implementation = nativeSha256() ?? portableSha256;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return implementation.bytes(...parts);
}

/** SHA-256 (lower-case hex) of `text` as UTF-8. */
export function sha256Hex(text: string): string {
  return implementation.hex(text);
}
