import { ConfigReader } from '@backstage/config';
import { createPrivateKey, generateKeyPairSync, sign } from 'crypto';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { transparencyOrigin } from './MerkleService';
import {
  NoteError,
  formatCheckpoint,
  formatVerifierKey,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
} from './note';

/*
 * The reference note of golang.org/x/mod/sumdb/note (note.go's example and
 * note_test.go): Ed25519 is deterministic, so signing its text with its key
 * must give its note byte for byte — what Go verifiers and witnesses accept.
 */
const goVerifierKey =
  'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const goSignerKeyData = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const goText =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const goNote = `${goText}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function goPrivateKey() {
  const seed = Buffer.from(goSignerKeyData, 'base64').subarray(1);
  return createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      seed,
    ]),
    format: 'der',
    type: 'pkcs8',
  });
}

describe('signed notes (C2SP signed-note, Ed25519)', () => {
  it('signs and opens the Go reference note byte for byte', async () => {
    const verifier = parseVerifierKey(goVerifierKey);
    expect(verifier.name).toBe('PeterNeumann');
    expect(verifier.keyHash).toBe(0xc74f20a3);
    expect(formatVerifierKey('PeterNeumann', verifier.publicKey)).toBe(
      goVerifierKey,
    );
    const key = goPrivateKey();
    const note = await signNote(goText, {
      name: 'PeterNeumann',
      publicKey: verifier.publicKey,
      sign: async data => sign(null, data, key),
    });
    expect(note).toBe(goNote);
    expect(openNote(goNote, [verifier])).toEqual({
      text: goText,
      signedBy: [verifier],
    });
  });

  it('refuses a tampered text or signature, an unknown key, malformed notes and keys', () => {
    const verifier = parseVerifierKey(goVerifierKey);
    expect(() =>
      openNote(goNote.replace('cryptography', 'cryptographY'), [verifier]),
    ).toThrow('does not verify');
    expect(() =>
      openNote(goNote.replace('x08go/', 'x08go+'), [verifier]),
    ).toThrow('does not verify');
    const other = parseVerifierKey(
      'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop',
    );
    expect(() => openNote(goNote, [other])).toThrow(
      'no signature by a known key (EnochRoot+af0cfe78)',
    );
    // a key of the same name but another key hash is another key
    expect(() =>
      openNote(goNote, [{ ...verifier, keyHash: verifier.keyHash ^ 1 }]),
    ).toThrow('no signature by a known key');
    // same name and hash, other public key: the signature must fail
    expect(() =>
      openNote(goNote, [
        { ...other, name: 'PeterNeumann', keyHash: verifier.keyHash },
      ]),
    ).toThrow('does not verify');
    expect(() => openNote(goText, [verifier])).toThrow(NoteError);
    expect(() => openNote(goNote.trimEnd(), [verifier])).toThrow(
      'end in a newline',
    );
    expect(() => openNote(goNote.replace('— ', '- '), [verifier])).toThrow(
      'not a signature line',
    );
    for (const bad of [
      'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3+AhRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3',
      '',
    ]) {
      expect(() => parseVerifierKey(bad)).toThrow(NoteError);
    }
    // a base64 key with a '+' in it (transparency-dev/formats' TEST key)
    expect(
      parseVerifierKey(
        'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6',
      ).name,
    ).toBe('TEST');
  });

  it('formats and parses tlog-checkpoint bodies', () => {
    const rootHash = Buffer.alloc(32, 7);
    const body = formatCheckpoint({
      origin: 'dezky.example/audit',
      treeSize: 1234,
      rootHash,
    });
    expect(body).toBe(
      `dezky.example/audit\n1234\n${rootHash.toString('base64')}\n`,
    );
    expect(parseCheckpoint(body)).toEqual({
      origin: 'dezky.example/audit',
      treeSize: 1234,
      rootHash,
      extensions: [],
    });
    for (const bad of [
      'o\n1234\n',
      'o\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n',
      'o\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n',
      'o\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==\n',
      'o\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
      '\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n',
    ]) {
      expect(() => parseCheckpoint(bad)).toThrow(NoteError);
    }
  });

  it("signs with the checkpoint signer's Ed25519 key, verifiable with the key it publishes", async () => {
    const pem = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const config of [
      new ConfigReader({
        audit: { signing: { current: { kid: 'k1', privateKey: pem } } },
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
        formatCheckpoint({ origin, treeSize: 3, rootHash: Buffer.alloc(32) }),
        { name: origin, publicKey, sign: data => signer.signBytes(data) },
      );
      const verifier = parseVerifierKey(formatVerifierKey(origin, publicKey));
      expect(openCheckpoint(note, [verifier])).toMatchObject({
        origin,
        treeSize: 3,
        signedBy: verifier,
      });
      // a checkpoint must be signed by a key named as its origin
      const renamed = parseVerifierKey(formatVerifierKey('other', publicKey));
      const byOther = await signNote(
        formatCheckpoint({ origin, treeSize: 3, rootHash: Buffer.alloc(32) }),
        { name: 'other', publicKey, sign: data => signer.signBytes(data) },
      );
      expect(() => openCheckpoint(byOther, [renamed])).toThrow(
        'signed by no key of that name',
      );
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
