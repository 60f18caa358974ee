import { randomBytes } from 'crypto';
import {
  decodeBase64,
  decodeBase64Url,
  decodeHex,
  encodeBase64,
  encodeHex,
  equalBytes,
  readUint32,
  uint32Bytes,
} from './bytes';

describe('bytes', () => {
  it('round-trips hex and base64 as Node writes them, and refuses what is not', () => {
    for (const size of [0, 1, 2, 3, 31, 32, 33, 64]) {
      const b = new Uint8Array(randomBytes(size));
      const buf = Buffer.from(b);
      expect(encodeHex(b)).toBe(buf.toString('hex'));
      expect(encodeBase64(b)).toBe(buf.toString('base64'));
      expect(decodeHex(buf.toString('hex'))).toEqual(b);
      expect(decodeHex(buf.toString('hex').toUpperCase())).toEqual(b);
      expect(decodeBase64(buf.toString('base64'))).toEqual(b);
      expect(decodeBase64Url(buf.toString('base64url'))).toEqual(b);
    }
    for (const bad of ['abc', 'zz', ' 00'])
      expect(decodeHex(bad)).toBeUndefined();
    for (const bad of ['abc', 'ab$=', 'AB=C', 'A===', 'AAAA\n']) {
      expect(decodeBase64(bad)).toBeUndefined();
    }
    expect(decodeBase64Url('a+b/')).toBeUndefined();
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 3))).toBe(false);
    expect(readUint32(uint32Bytes(0xc74f20a3))).toBe(0xc74f20a3);
  });
});
