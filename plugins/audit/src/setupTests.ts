import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';
import { webcrypto } from 'node:crypto';

// jsdom has crypto.getRandomValues but no crypto.subtle, which the Merkle
// verifier uses in the browser: lend it Node's (the same WebCrypto API).
if (!globalThis.crypto?.subtle) {
  Object.defineProperty(globalThis.crypto, 'subtle', {
    value: webcrypto.subtle,
    configurable: true,
  });
}

// CI runs these next to the PostgreSQL and backend suites on 2 CPUs: give a
// render time to settle before a findBy/waitFor, or a test, gives up.
configure({ asyncUtilTimeout: 5_000 });
jest.setTimeout(30_000);
