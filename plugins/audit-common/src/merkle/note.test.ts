import { createPrivateKey, generateKeyPairSync, sign } from 'crypto';
import {
  NoteError,
  formatCheckpoint,
  formatVerifierKey,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseCheckpointNote,
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
    await expect(openNote(goNote, [verifier])).resolves.toEqual({
      text: goText,
      signedBy: [verifier],
    });
  });

  it('refuses a tampered text or signature, an unknown key, malformed notes and keys', async () => {
    const verifier = parseVerifierKey(goVerifierKey);
    await expect(
      openNote(goNote.replace('cryptography', 'cryptographY'), [verifier]),
    ).rejects.toThrow('does not verify');
    await expect(
      openNote(goNote.replace('x08go/', 'x08go+'), [verifier]),
    ).rejects.toThrow('does not verify');
    const other = parseVerifierKey(
      'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop',
    );
    await expect(openNote(goNote, [other])).rejects.toThrow(
      'no signature by a known key (EnochRoot+af0cfe78)',
    );
    // a key of the same name but another key hash is another key
    await expect(
      openNote(goNote, [{ ...verifier, keyHash: verifier.keyHash ^ 1 }]),
    ).rejects.toThrow('no signature by a known key');
    // same name and hash, other public key: the signature must fail
    await expect(
      openNote(goNote, [
        { ...other, name: 'PeterNeumann', keyHash: verifier.keyHash },
      ]),
    ).rejects.toThrow('does not verify');
    await expect(openNote(goText, [verifier])).rejects.toThrow(NoteError);
    await expect(openNote(goNote.trimEnd(), [verifier])).rejects.toThrow(
      'end in a newline',
    );
    await expect(
      openNote(goNote.replace('— ', '- '), [verifier]),
    ).rejects.toThrow('not a signature line');
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
    const rootHash = new Uint8Array(32).fill(7);
    const body = formatCheckpoint({
      origin: 'dezky.example/audit',
      treeSize: 1234,
      rootHash,
    });
    expect(body).toBe(
      `dezky.example/audit\n1234\n${Buffer.from(rootHash).toString(
        'base64',
      )}\n`,
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

  it('opens a checkpoint only under a key named as its origin', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(
      Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'),
    );
    const origin = 'portal.dezky.example/audit';
    const body = formatCheckpoint({
      origin,
      treeSize: 3,
      rootHash: new Uint8Array(32),
    });
    const signWith = (name: string) =>
      signNote(body, {
        name,
        publicKey: raw,
        sign: async data => sign(null, data, privateKey),
      });
    const verifier = parseVerifierKey(formatVerifierKey(origin, raw));
    await expect(
      openCheckpoint(await signWith(origin), [verifier]),
    ).resolves.toMatchObject({ origin, treeSize: 3, signedBy: verifier });
    const renamed = parseVerifierKey(formatVerifierKey('other', raw));
    await expect(
      openCheckpoint(await signWith('other'), [renamed]),
    ).rejects.toThrow('signed by no key of that name');
  });
});

describe('parseCheckpointNote (unverified, as the portal reads the note)', () => {
  const root = Buffer.alloc(32, 1).toString('base64');
  const sig = '\u2014 audit.dezky.example/log AbCdAbCd';

  it('reads origin, size and root, with extension lines and signatures', () => {
    const text = `origin\n0\n${root}\next: 1\n\n${sig}\n${sig}\n`;
    expect(parseCheckpointNote(text)).toEqual({
      origin: 'origin',
      treeSize: 0,
      rootHash: root,
      text,
    });
    expect(parseCheckpointNote(goNoteOf(root))).toMatchObject({
      treeSize: 5,
    });
  });

  it.each([
    ['no signature block', `o\n1\n${root}\n`, 'no blank line'],
    ['no signature', `o\n1\n${root}\n\n`, 'signatures must end'],
    [
      'a bad signature line',
      `o\n1\n${root}\n\n- o AbCd\n`,
      'not a signature line',
    ],
    ['a size that is no number', `o\n-1\n${root}\n\n${sig}\n`, 'tree size'],
    ['a short root', `o\n1\nAAAA\n\n${sig}\n`, 'root hash'],
    [
      'a root that is no base64',
      `o\n1\n${'*'.repeat(44)}\n\n${sig}\n`,
      'root hash',
    ],
    ['no origin', `\n1\n${root}\n\n${sig}\n`, 'no origin'],
  ])('refuses a note with %s', (_, text, why) => {
    expect(() => parseCheckpointNote(text)).toThrow(NoteError);
    expect(() => parseCheckpointNote(text)).toThrow(why);
  });
});

function goNoteOf(root: string) {
  return `dezky.example/audit\n5\n${root}\n\n\u2014 dezky.example/audit AbCdAbCdAbCd\n`;
}
