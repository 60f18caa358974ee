import { mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { ConfigReader } from '@backstage/config';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  AUDIT_GENESIS_HASH,
  AuditExportFormatError,
  AuditJwks,
  chainHash,
  verifyExport,
} from '@internal/plugin-audit-common';
import { spawn } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { promises as fs, openSync, closeSync } from 'fs';
import { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { AuditRow, AuditStore, fromRow } from '../database/AuditStore';
import { AuditService } from './AuditService';
import { CheckpointSigner } from './CheckpointSigner';
import { exportChain } from './exportChain';

jest.setTimeout(120_000);
const databases = dezkyTestDatabases();

const privateKey = () =>
  generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

const signer = (kid: string, key = privateKey()) =>
  CheckpointSigner.fromConfig(
    new ConfigReader({
      audit: { signing: { current: { kid, privateKey: key } } },
    }),
  );

const event = (i: number) => ({
  at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
  actor: { type: 'user' as const, ref: 'user:default/anna.schmidt' },
  action: 'tenant.updated',
  outcome: 'success' as const,
  resource: { type: 'tenant', ref: 'tenant:default/acme' },
  tenant: 'tenant:default/acme',
  source: 'portal',
  metadata: { seats: { from: i, to: i + 1 }, note: 'ü∑ "quoted"' },
});

/** 25 events with signed checkpoints at seq 10 and 25, as a running backend leaves them. */
async function setUp(databaseId: Parameters<typeof databases.init>[0]) {
  const knex = await databases.init(databaseId);
  const store = await AuditStore.create({
    database: mockServices.database({ knex }),
  });
  const service = new AuditService(
    store,
    mockServices.logger.mock(),
    await signer('k1'),
  );
  for (let i = 1; i <= 10; i++) await service.record(event(i));
  await service.checkpoint('manual');
  for (let i = 11; i <= 25; i++) await service.record(event(i));
  await service.checkpoint('manual');
  return { knex, store, service, keys: await service.keys() };
}

async function exportLines(
  store: AuditStore,
  keys: AuditJwks,
  range: { fromSeq?: number; toSeq?: number; pageSize?: number } = {},
): Promise<string[]> {
  let text = '';
  await exportChain({
    store,
    keys,
    ...range,
    write: chunk => {
      text += chunk;
    },
  });
  return text.split('\n').filter(Boolean);
}

async function* iterate(lines: string[]) {
  yield* lines;
}

const hashOf = async (knex: Knex, seq: number): Promise<string> =>
  (await knex('audit_events').where({ seq }).first('hash')).hash;

describe.each(databases.eachSupportedId())(
  'exportChain and verifyExport on %p',
  databaseId => {
    let knex: Knex;
    let store: AuditStore;
    let keys: AuditJwks;
    const verify = async (range = {}, withKeys?: AuditJwks) =>
      verifyExport(iterate(await exportLines(store, keys, range)), {
        keys: withKeys,
      });

    beforeEach(async () => {
      ({ knex, store, keys } = await setUp(databaseId));
    });

    it('exports the stored chain as NDJSON, page by page, and verifies it offline', async () => {
      const chunks: string[] = [];
      const summary = await exportChain({
        store,
        keys,
        pageSize: 7,
        write: async chunk => {
          chunks.push(chunk);
        },
      });
      expect(summary).toEqual({
        fromSeq: 1,
        toSeq: 25,
        events: 25,
        checkpoints: 2,
      });
      // header, 4 pages of events, the checkpoints
      expect(chunks).toHaveLength(6);
      const lines = chunks.join('').split('\n');
      expect(lines.pop()).toBe('');
      const [header, ...rest] = lines.map(l => JSON.parse(l));
      expect(Object.keys(header)).toEqual([
        'format',
        'fromSeq',
        'toSeq',
        'exportedAt',
        'keys',
      ]);
      expect(header).toMatchObject({
        format: 'dezky-audit-export/1',
        fromSeq: 1,
        toSeq: 25,
        keys,
      });
      const stored = (await store.rowsAfter(0, 100)).map(fromRow);
      expect(rest.slice(0, 25)).toEqual(
        stored.map(e => ({
          type: 'event',
          event: JSON.parse(JSON.stringify(e)),
        })),
      );
      expect(rest.slice(25)).toEqual(
        (await store.checkpoints()).map(c => ({
          type: 'checkpoint',
          checkpoint: c,
        })),
      );

      await expect(verifyExport(iterate(lines), {})).resolves.toEqual({
        ok: true,
        verified: 25,
        checkpoints: 2,
        head: { seq: 25, hash: stored[24].hash },
        fromSeq: 1,
        toSeq: 25,
        anchoredAtGenesis: true,
        anchor: { seq: 0, hash: AUDIT_GENESIS_HASH },
        signedHead: { seq: 25, hash: stored[24].hash },
      });
    });

    it('finds a modified field as event-hash-mismatch', async () => {
      await knex('audit_events')
        .where({ seq: 12 })
        .update({ outcome: 'failure' });
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        verified: 11,
        break: {
          kind: 'event-hash-mismatch',
          seq: 12,
          expected: await hashOf(knex, 12),
        },
      });
    });

    it('finds a deleted row as prev-hash-mismatch at the next seq', async () => {
      const before = await hashOf(knex, 19);
      const deleted = await hashOf(knex, 20);
      await knex('audit_events').where({ seq: 20 }).delete();
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        verified: 19,
        break: {
          kind: 'prev-hash-mismatch',
          seq: 21,
          expected: before,
          actual: deleted,
        },
      });
    });

    it('finds an inserted row; one that links and hashes right is covered by no checkpoint', async () => {
      const row: AuditRow = await knex('audit_events')
        .where({ seq: 25 })
        .first();
      await knex('audit_events').insert({
        ...row,
        seq: 26,
        prev_hash: 'f'.repeat(64),
        hash: 'e'.repeat(64),
      });
      await expect(verify()).resolves.toMatchObject({
        verified: 25,
        break: { kind: 'prev-hash-mismatch', seq: 26, actual: 'f'.repeat(64) },
      });

      // an insider appending a well-formed event after the last checkpoint
      const forged = { ...fromRow(row), seq: 26, prevHash: row.hash };
      const hash = chainHash(forged);
      await knex('audit_events')
        .where({ seq: 26 })
        .update({ prev_hash: row.hash, hash });
      await expect(verify()).resolves.toMatchObject({
        ok: true,
        verified: 26,
        head: { seq: 26, hash },
        signedHead: { seq: 25, hash: row.hash },
      });
    });

    it('finds two swapped rows as prev-hash-mismatch at the first of them', async () => {
      const a = await knex('audit_events').where({ seq: 8 }).first();
      const b = await knex('audit_events').where({ seq: 9 }).first();
      await knex('audit_events').whereIn('seq', [8, 9]).delete();
      await knex('audit_events').insert([
        { ...b, seq: 8 },
        { ...a, seq: 9 },
      ]);
      await expect(verify()).resolves.toMatchObject({
        verified: 7,
        break: { kind: 'prev-hash-mismatch', seq: 8 },
      });
    });

    it('finds a forged checkpoint signature', async () => {
      const forger = await signer('k1');
      const cp = (await store.checkpoints())[1];
      const jws = await forger.sign({
        headSeq: cp.headSeq,
        headHash: cp.headHash,
        at: cp.at,
        reason: cp.reason,
      });
      await knex('audit_checkpoints').where({ head_seq: 25 }).update({ jws });
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        verified: 25,
        checkpoints: 1,
        break: {
          kind: 'checkpoint-signature-mismatch',
          seq: 25,
          actual: 'signature does not verify',
        },
      });

      // whoever re-signs every checkpoint and swaps the keys in the file passes — unless the keys come from elsewhere
      const lines = await Promise.all(
        (
          await exportLines(store, keys)
        ).map(async l => {
          const line = JSON.parse(l);
          if (line.format) line.keys = await forger.jwks();
          if (line.type === 'checkpoint') {
            const { kid: _kid, jws: _jws, ...claims } = line.checkpoint;
            line.checkpoint.jws = await forger.sign(claims);
          }
          return JSON.stringify(line);
        }),
      );
      await expect(verifyExport(iterate(lines))).resolves.toMatchObject({
        ok: true,
        checkpoints: 2,
      });
      await expect(
        verifyExport(iterate(lines), { keys }),
      ).resolves.toMatchObject({
        ok: false,
        checkpoints: 0,
        break: { kind: 'checkpoint-signature-mismatch', seq: 10 },
      });
    });

    it('finds a checkpoint whose signed claims differ from the checkpoint line', async () => {
      const lines = await exportLines(store, keys);
      const last = JSON.parse(lines[lines.length - 1]);
      last.checkpoint.reason = 'interval';
      lines[lines.length - 1] = JSON.stringify(last);
      await expect(verifyExport(iterate(lines))).resolves.toMatchObject({
        checkpoints: 1,
        break: { kind: 'checkpoint-signature-mismatch', seq: 25 },
      });
    });

    it('finds a cut-off tail as checkpoint-head-mismatch', async () => {
      await knex('audit_events').where('seq', '>', 20).delete();
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        verified: 20,
        checkpoints: 1,
        toSeq: 20,
        break: { kind: 'checkpoint-head-mismatch', seq: 25, actual: 'missing' },
      });
    });

    it('finds a consistently rewritten chain as checkpoint-head-mismatch', async () => {
      const signed = await hashOf(knex, 25);
      let prevHash = await hashOf(knex, 11);
      for (const row of await store.rowsAfter(11, 100)) {
        const e = { ...fromRow(row), prevHash };
        if (e.seq === 12) e.outcome = 'failure';
        const hash = chainHash(e);
        await knex('audit_events')
          .where({ seq: e.seq })
          .update({ outcome: e.outcome, prev_hash: prevHash, hash });
        prevHash = hash;
      }
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        verified: 25,
        checkpoints: 1,
        break: {
          kind: 'checkpoint-head-mismatch',
          seq: 25,
          expected: signed,
          actual: prevHash,
        },
      });
    });

    it('verifies a partial range, anchored at the event before it', async () => {
      const result = await verify({ fromSeq: 5, toSeq: 20 });
      expect(result).toEqual({
        ok: true,
        verified: 16,
        checkpoints: 1, // the one at seq 10; the one at 25 is outside
        head: { seq: 20, hash: await hashOf(knex, 20) },
        fromSeq: 5,
        toSeq: 20,
        anchoredAtGenesis: false,
        anchor: { seq: 4, hash: await hashOf(knex, 4) },
        signedHead: { seq: 10, hash: await hashOf(knex, 10) },
      });

      // a cut export (a dropped download) is not ok
      const lines = await exportLines(store, keys, { fromSeq: 5, toSeq: 20 });
      await expect(
        verifyExport(iterate(lines.slice(0, 14))),
      ).resolves.toMatchObject({
        ok: false,
        verified: 13,
        break: { kind: 'seq-gap', seq: 18, expected: '18', actual: 'missing' },
      });

      await knex('audit_events')
        .where({ seq: 12 })
        .update({ action: 'tenant.deleted' });
      await expect(verify({ fromSeq: 5, toSeq: 20 })).resolves.toMatchObject({
        verified: 7,
        break: { kind: 'event-hash-mismatch', seq: 12 },
      });
    });

    it('finds a tampered export file', async () => {
      const lines = await exportLines(store, keys);
      lines[3] = lines[3].replace('"from":3', '"from":300');
      await expect(verifyExport(iterate(lines))).resolves.toMatchObject({
        verified: 2,
        break: { kind: 'event-hash-mismatch', seq: 3 },
      });
      const renumbered = await exportLines(store, keys);
      renumbered.splice(5, 1); // seq 5 gone from the file, but 6 still links to it
      await expect(verifyExport(iterate(renumbered))).resolves.toMatchObject({
        break: { kind: 'prev-hash-mismatch', seq: 6 },
      });
    });

    it('reports checkpoint-signature-mismatch with a different key set', async () => {
      const sameKid = await (await signer('k1')).jwks();
      await expect(verify({}, sameKid)).resolves.toMatchObject({
        ok: false,
        verified: 25,
        checkpoints: 0,
        break: { kind: 'checkpoint-signature-mismatch', seq: 10 },
      });
      const otherKid = await (await signer('k2')).jwks();
      await expect(verify({}, otherKid)).resolves.toMatchObject({
        break: { kind: 'checkpoint-signature-mismatch', seq: 10 },
      });
      await expect(verify({}, keys)).resolves.toMatchObject({ ok: true });
    });

    it('refuses a range that is not one', async () => {
      const write = jest.fn();
      for (const range of [
        { fromSeq: 0 },
        { fromSeq: 5, toSeq: 4 },
        { fromSeq: 30 },
        { fromSeq: 1.5 },
      ]) {
        await expect(
          exportChain({ store, keys, write, ...range }),
        ).rejects.toThrow(InputError);
      }
      expect(write).not.toHaveBeenCalled();
      // a toSeq beyond the head exports to the head
      await expect(verify({ toSeq: 1000 })).resolves.toMatchObject({
        ok: true,
        toSeq: 25,
      });
    });
  },
);

describe('verifyExport', () => {
  it('refuses what is not an export', async () => {
    await expect(verifyExport(iterate([]))).rejects.toThrow(
      AuditExportFormatError,
    );
    await expect(
      verifyExport(iterate(['{"format":"something-else"}'])),
    ).rejects.toThrow('line 1: not a dezky-audit-export/1 header');
    const header =
      '{"format":"dezky-audit-export/1","fromSeq":1,"toSeq":0,"exportedAt":"2026-11-25T12:00:00.000Z","keys":{"keys":[]}}';
    await expect(verifyExport(iterate([header, '{"type":']))).rejects.toThrow(
      'line 2: not JSON',
    );
    await expect(
      verifyExport(iterate([header, '', ''])),
    ).resolves.toMatchObject({
      ok: true,
      verified: 0,
      head: null,
    });
  });
});

describe('scripts/audit-verify', () => {
  const script = path.resolve(__dirname, '../../../../scripts/audit-verify');
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-verify-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function run(args: string[], stdinFile?: string) {
    const stdin = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const child = spawn(script, args, { stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', d => (stdout += d));
    child.stderr!.on('data', d => (stderr += d));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        child.on('error', reject);
        child.on('close', code => {
          if (typeof stdin === 'number') closeSync(stdin);
          resolve({ code, stdout, stderr });
        });
      },
    );
  }

  it('prints ok and exits 0, prints BROKEN and exits 1, exits 2 on bad usage', async () => {
    const { knex, store, keys } = await setUp('SQLITE_3');
    const good = path.join(dir, 'good.ndjson');
    const jwks = path.join(dir, 'jwks.json');
    await fs.writeFile(
      good,
      `${(await exportLines(store, keys)).join('\n')}\n`,
    );
    await fs.writeFile(jwks, JSON.stringify(keys));

    const ok = await run([good]);
    expect(ok).toMatchObject({
      code: 0,
      stdout:
        'ok: 25 events (seq 1–25), 2 checkpoints verified, anchored at genesis\n',
    });
    expect(ok.stderr).toContain(
      'warning: the checkpoint signatures were checked with the keys inside the export',
    );

    const json = await run(['-', '--keys', jwks, '--json'], good);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      verified: 25,
      checkpoints: 2,
      anchoredAtGenesis: true,
      keysFrom: jwks,
    });

    await knex('audit_events')
      .where({ seq: 12 })
      .update({ outcome: 'failure' });
    const bad = path.join(dir, 'bad.ndjson');
    await fs.writeFile(bad, (await exportLines(store, keys)).join('\n'));
    const broken = await run([bad, '--keys', jwks]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /^BROKEN at seq 12: event-hash-mismatch \(expected [0-9a-f]{64}, actual [0-9a-f]{64}\)\n$/,
    );

    expect((await run([])).code).toBe(2);
    expect((await run([good, '--bogus'])).code).toBe(2);
    const missing = await run([path.join(dir, 'missing.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  });
});
