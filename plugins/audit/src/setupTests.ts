import '@testing-library/jest-dom';
import { webcrypto } from 'node:crypto';

// jsdom has crypto.getRandomValues but no crypto.subtle, which the Merkle
// verifier uses in the browser: lend it Node's (the same WebCrypto API).
if (!globalThis.crypto?.subtle) {
  Object.defineProperty(globalThis.crypto, 'subtle', {
    value: webcrypto.subtle,
    configurable: true,
  });
}
