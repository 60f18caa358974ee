import { createHash, randomBytes } from 'crypto';
import { nativeSha256, portableSha256, sha256, sha256Hex } from './sha256';

describe('sha256', () => {
  it('is native in Node, and the portable one (the browser) gives the same digests', () => {
    const native = nativeSha256();
    expect(native).toBeDefined();
    for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 100_000]) {
      const data = new Uint8Array(randomBytes(size));
      const text = `${Buffer.from(data).toString('latin1')}ü€😀`;
      const expectedBytes = createHash('sha256').update(data).digest('hex');
      const expectedText = createHash('sha256')
        .update(text, 'utf8')
        .digest('hex');
      for (const impl of [native!, portableSha256]) {
        expect(Buffer.from(impl.bytes(data)).toString('hex')).toBe(
          expectedBytes,
        );
        expect(
          Buffer.from(
            impl.bytes(data.subarray(0, size >> 1), data.subarray(size >> 1)),
          ).toString('hex'),
        ).toBe(expectedBytes);
        expect(impl.hex(text)).toBe(expectedText);
      }
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(expectedBytes);
      expect(sha256Hex(text)).toBe(expectedText);
    }
  });
});
