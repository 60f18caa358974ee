import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { seededRandom } from '@internal/dezky-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AuditEvent,
  AuditInclusionProof,
  VerifiedCheckpoint,
  checkCheckpointNote,
  checkConsistency,
  checkInclusion,
  decodeHash,
  encodeBase64,
  parseVerifierKeys,
  verifyConsistency,
} from '@internal/plugin-audit-common';
import { spawn } from 'child_process';
import express from 'express';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { auditPlugin } from '../plugin';
import {
  auditChainServiceFactory,
  auditChainServiceRef,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from '../services/factories';

jest.setTimeout(60_000);

const ORIGIN = 'audit.test.dezky.example/log';

/** Appends `n` events through the chain service: POST /api/merkle-seed/append?n=. */
const appendPlugin = createBackendPlugin({
  pluginId: 'merkle-seed',
  register(env) {
    env.registerInit({
      deps: {
        audit: auditChainServiceRef,
        httpRouter: coreServices.httpRouter,
      },
      async init({ audit, httpRouter }) {
        const router = express.Router();
        let i = 0;
        router.post('/append', async (req, res) => {
          const n = Number(req.query.n);
          const events = await audit.recordAll(
            Array.from({ length: n }, () => ({
              at: new Date(Date.UTC(2026, 10, 26, 12, 0, 0, i)).toISOString(),
              actor: { type: 'system' as const },
              action: 'tenant.updated',
              outcome: 'success' as const,
              source: 'portal',
              metadata: { i: i++ },
            })),
          );
          res.json(events.map(e => ({ seq: e.seq, hash: e.hash })));
        });
        httpRouter.use(router);
      },
    });
  },
});

function permissions(result: AuthorizeResult.ALLOW | AuthorizeResult.DENY) {
  const service: PermissionsService = {
    authorize: async reqs => reqs.map(() => ({ result })) as any,
    authorizeConditional: async reqs => reqs.map(() => ({ result })) as any,
  };
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => service,
  });
}

async function start(
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  const { server } = await startTestBackend({
    features: [
      auditPlugin,
      auditChainServiceFactory,
      auditTrailServiceFactory,
      chainAuditorServiceFactory,
      appendPlugin,
      permissions(result),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          audit: { transparency: { origin: ORIGIN } },
        },
      }),
    ],
  });
  return server;
}

const auth = mockCredentials.user.header();

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const flipHash = (b64: string) => {
  const h = Buffer.from(b64, 'base64');
  h[0] ^= 0x80;
  return h.toString('base64');
};

describe('Merkle tree API', () => {
  let server: any;
  const get = (p: string) => request(server).get(p).set('Authorization', auth);
  /** The signed note at each stage: the tree after appends of several sizes. */
  const STAGES = [1, 2, 7, 64, 100, 257, 400, 613];
  const notes: string[] = [];
  const hashes = new Map<number, string>(); // seq → event hash
  let keysJson: any;
  const contentTypes = new Set<string>();
  let checkpoints: VerifiedCheckpoint[];
  const N = STAGES[STAGES.length - 1];

  beforeAll(async () => {
    server = await start();
    let size = 0;
    for (const stage of STAGES) {
      const res = await request(server)
        .post(`/api/merkle-seed/append?n=${stage - size}`)
        .set('Authorization', auth);
      if (res.status !== 200) throw new Error(`append: ${res.status}`);
      for (const e of res.body as AuditEvent[]) hashes.set(e.seq, e.hash);
      size = stage;
      const note = await get('/api/audit/checkpoint').set(
        'Accept',
        'text/plain',
      );
      if (note.status !== 200) throw new Error(`checkpoint: ${note.status}`);
      contentTypes.add(note.headers['content-type']);
      notes.push(note.text);
    }
    // public, like the JWKS it extends
    keysJson = (await request(server).get('/api/audit/keys')).body;
    const keys = parseVerifierKeys(JSON.stringify(keysJson));
    checkpoints = await Promise.all(
      notes.map(async note => {
        const opened = await checkCheckpointNote(note, keys);
        if (!opened.ok) throw new Error(opened.reason);
        return opened.checkpoint;
      }),
    );
  });

  it('serves the checkpoint as a C2SP signed note, verifiable with a key of /keys', async () => {
    expect(hashes.size).toBe(N);
    expect([...contentTypes]).toEqual(['text/plain; charset=utf-8']);
    expect(keysJson.keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }),
    ]);
    expect(keysJson.noteKeys).toEqual([
      expect.stringMatching(
        /^audit\.test\.dezky\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/,
      ),
    ]);
    expect(checkpoints.map(c => c.treeSize)).toEqual(STAGES);
    const last = notes[notes.length - 1].split('\n');
    expect(last).toEqual([
      ORIGIN,
      String(N),
      encodeBase64(checkpoints[checkpoints.length - 1].rootHash),
      '',
      expect.stringMatching(
        /^\u2014 audit\.test\.dezky\.example\/log [A-Za-z0-9+/]{91}=$/,
      ),
      '',
    ]);
    // any Accept that allows text/plain; 406 otherwise
    expect((await get('/api/audit/checkpoint')).status).toBe(200);
    expect(
      (await get('/api/audit/checkpoint').set('Accept', '*/*')).status,
    ).toBe(200);
    const json = await get('/api/audit/checkpoint').set(
      'Accept',
      'application/json',
    );
    expect(json.status).toBe(406);
    expect(json.body.error.message).toContain('text/plain');
  });

  it('proves ≥ 1,000 random (event, tree size) inclusions against the signed checkpoint, offline', async () => {
    const rand = seededRandom(9162);
    const pairs = Array.from({ length: 1_000 }, () => {
      const treeSize = 1 + rand(N);
      return { seq: 1 + rand(treeSize), treeSize };
    });
    // sizes at the edges too
    pairs.push(
      { seq: 1, treeSize: 1 },
      { seq: N, treeSize: N },
      { seq: 1, treeSize: N },
      { seq: 512, treeSize: 512 },
      { seq: 513, treeSize: 513 },
    );
    const final = checkpoints[checkpoints.length - 1];
    const roots = new Map<number, string>();
    const results = await pool(pairs, 16, async ({ seq, treeSize }) => {
      const inclusion = await get(
        `/api/audit/proofs/inclusion?seq=${seq}&treeSize=${treeSize}`,
      );
      expect(inclusion.status).toBe(200);
      const proof: AuditInclusionProof = inclusion.body;
      expect(proof).toMatchObject({ leafIndex: seq - 1, treeSize });
      roots.set(treeSize, proof.rootHash!);
      const consistency =
        treeSize < N
          ? (
              await get(
                `/api/audit/proofs/consistency?from=${treeSize}&to=${N}`,
              )
            ).body
          : undefined;
      const check = (p: unknown, eventHash: string, c: unknown = consistency) =>
        checkInclusion({
          checkpoint: final,
          proof: p,
          eventHash,
          consistency: c,
        });
      const eventHash = hashes.get(seq)!;
      const other = hashes.get(seq === 1 ? 2 : seq - 1)!;
      return {
        ok: check(proof, eventHash),
        wrongLeaf: check(proof, other),
        wrongIndex: check({ ...proof, leafIndex: seq % treeSize }, eventHash),
        // the claimed size is checked by the hashes, not only compared
        wrongSize:
          treeSize < N
            ? check({ ...proof, treeSize: treeSize + 1 }, eventHash, {
                hashes: consistency.hashes,
              })
            : check({ ...proof, treeSize: N + 1 }, eventHash),
        tamperedPath: proof.hashes.length
          ? check(
              {
                ...proof,
                hashes: [flipHash(proof.hashes[0]), ...proof.hashes.slice(1)],
              },
              eventHash,
            )
          : check({ ...proof, hashes: [proof.rootHash!] }, eventHash),
        tamperedRoot: check(
          { ...proof, rootHash: flipHash(proof.rootHash!) },
          eventHash,
        ),
        unlinked:
          treeSize < N
            ? checkInclusion({ checkpoint: final, proof, eventHash })
            : undefined,
        label: `seq ${seq} in ${treeSize}`,
      };
    });
    expect(results.length).toBeGreaterThanOrEqual(1_000);
    const failures = results.flatMap(r => [
      ...(r.ok.ok ? [] : [`${r.label}: ${(r.ok as any).reason}`]),
      ...(r.wrongLeaf.ok ? [`${r.label}: a wrong leaf verified`] : []),
      ...(r.wrongIndex.ok && r.label !== 'seq 1 in 1'
        ? [`${r.label}: a wrong index verified`]
        : []),
      ...(r.wrongSize.ok ? [`${r.label}: a wrong size verified`] : []),
      ...(r.tamperedPath.ok ? [`${r.label}: a tampered path verified`] : []),
      ...(r.tamperedRoot.ok ? [`${r.label}: a tampered root verified`] : []),
      ...(r.unlinked?.ok ? [`${r.label}: verified without consistency`] : []),
    ]);
    expect(failures).toEqual([]);

    // random (m, n) consistency proofs between the trees seen above, and
    // between every two signed checkpoints
    const sizes = [...roots.keys()];
    const rand2 = seededRandom(6962);
    const consistencyPairs = Array.from({ length: 300 }, () => {
      const a = sizes[rand2(sizes.length)];
      const b = sizes[rand2(sizes.length)];
      return { m: Math.min(a, b), n: Math.max(a, b) };
    });
    const consistencyFailures = (
      await pool(consistencyPairs, 16, async ({ m, n }) => {
        const res = await get(
          `/api/audit/proofs/consistency?from=${m}&to=${n}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.from).toBe(m);
        expect(res.body.to).toBe(n);
        const proof = (res.body.hashes as string[]).map(decodeHash);
        const rootM = decodeHash(roots.get(m));
        const rootN = decodeHash(roots.get(n));
        const out: string[] = [];
        if (!verifyConsistency(m, n, proof, rootM, rootN)) {
          out.push(`${m} → ${n} did not verify`);
        }
        if (
          m < n &&
          (verifyConsistency(m, n, proof, rootN, rootN) ||
            verifyConsistency(m, n, proof.slice(1), rootM, rootN) ||
            verifyConsistency(m + 1, n, proof, rootM, rootN))
        ) {
          out.push(`${m} → ${n}: a wrong root, proof or size verified`);
        }
        return out;
      })
    ).flat();
    expect(consistencyFailures).toEqual([]);

    for (let i = 0; i < checkpoints.length; i++) {
      for (let j = i; j < checkpoints.length; j++) {
        const [older, newer] = [checkpoints[i], checkpoints[j]];
        const proof = (
          await get(
            `/api/audit/proofs/consistency?from=${older.treeSize}&to=${newer.treeSize}`,
          )
        ).body;
        expect(checkConsistency({ older, newer, proof })).toMatchObject({
          ok: true,
        });
        // swapped, or with a tampered hash (none to tamper with when i = j)
        expect(
          i !== j && checkConsistency({ older: newer, newer: older, proof }).ok,
        ).toBe(false);
        expect(
          checkConsistency({
            older,
            newer,
            proof: {
              ...proof,
              hashes:
                i === j
                  ? [encodeBase64(newer.rootHash)]
                  : proof.hashes.map(flipHash),
            },
          }).ok,
        ).toBe(false);
      }
    }
  });

  it('refuses bad input with 400, and non-operators with 403', async () => {
    for (const [query, message] of [
      ['inclusion?seq=0&treeSize=5', 'seq must be at least 1'],
      ['inclusion?seq=6&treeSize=5', 'seq 6 is not in the tree of 5'],
      [`inclusion?seq=1&treeSize=${N + 1}`, `larger than the tree (${N}`],
      ['inclusion?seq=1', 'treeSize'],
      ['inclusion?seq=abc&treeSize=5', 'seq must be a whole number'],
      ['inclusion?seq=1&treeSize=5&x=1', 'x'],
      ['consistency?from=5&to=4', 'from 5 is larger than to 4'],
      ['consistency?from=0&to=4', 'from must be at least 1'],
      [`consistency?from=1&to=${N + 1}`, 'larger than the tree'],
      ['consistency?to=4', 'from is required'],
      ['consistency?from=1&from=2&to=4', 'from must be one whole number'],
      ['consistency?from=-1&to=4', 'from must be a whole number'],
    ]) {
      const res = await get(`/api/audit/proofs/${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.error.message).toContain(message);
    }
    const equal = await get(`/api/audit/proofs/consistency?from=${N}&to=${N}`);
    expect(equal.body).toEqual({ from: N, to: N, hashes: [] });

    const denied = await start(AuthorizeResult.DENY);
    for (const p of [
      '/api/audit/checkpoint',
      '/api/audit/proofs/inclusion?seq=1&treeSize=1',
      '/api/audit/proofs/consistency?from=1&to=1',
    ]) {
      const res = await request(denied).get(p).set('Authorization', auth);
      expect(res.status).toBe(403);
    }
  });

  describe('scripts/audit-verify', () => {
    const script = path.resolve(__dirname, '../../../../scripts/audit-verify');
    let dir: string;
    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-merkle-'));
    });
    afterAll(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    function run(args: string[]) {
      const child = spawn(script, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', d => (stdout += d));
      child.stderr!.on('data', d => (stderr += d));
      return new Promise<{
        code: number | null;
        stdout: string;
        stderr: string;
      }>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', code => resolve({ code, stdout, stderr }));
      });
    }

    const write = async (name: string, content: string | object) => {
      const file = path.join(dir, name);
      await fs.writeFile(
        file,
        typeof content === 'string' ? content : JSON.stringify(content),
      );
      return file;
    };

    it('verifies a checkpoint, an inclusion and a consistency proof; exits 1 when they do not hold, 2 on bad usage', async () => {
      const vkey = keysJson.noteKeys[0] as string;
      const keys = await write('keys.json', keysJson);
      const note = await write('note.txt', notes[notes.length - 1]);
      const oldNote = await write('old.txt', notes[3]);
      const seq = 42;
      const proof = await write(
        'inclusion.json',
        (
          await get(`/api/audit/proofs/inclusion?seq=${seq}&treeSize=${N}`)
        ).body,
      );
      const small = await write(
        'inclusion-small.json',
        (
          await get(`/api/audit/proofs/inclusion?seq=${seq}&treeSize=50`)
        ).body,
      );
      const link = await write(
        'consistency-50.json',
        (
          await get(`/api/audit/proofs/consistency?from=50&to=${N}`)
        ).body,
      );
      const consistency = await write(
        'consistency.json',
        (
          await get(`/api/audit/proofs/consistency?from=64&to=${N}`)
        ).body,
      );
      const eventHash = hashes.get(seq)!;

      const [
        checkpoint,
        inclusion,
        viaLink,
        prefix,
        wrongLeaf,
        swapped,
        forged,
        usage,
      ] = await Promise.all([
        run(['checkpoint', note, '--key', vkey]),
        run([
          'inclusion',
          '--note',
          note,
          '--key',
          keys,
          '--proof',
          proof,
          '--event-hash',
          eventHash,
          '--json',
        ]),
        run([
          'inclusion',
          `--note=${note}`,
          `--key=${vkey}`,
          `--proof=${small}`,
          `--event-hash=${eventHash}`,
          `--consistency=${link}`,
        ]),
        run([
          'consistency',
          '--old-note',
          oldNote,
          '--new-note',
          note,
          '--key',
          vkey,
          '--proof',
          consistency,
        ]),
        run([
          'inclusion',
          '--note',
          note,
          '--key',
          vkey,
          '--proof',
          proof,
          '--event-hash',
          hashes.get(seq + 1)!,
        ]),
        run([
          'consistency',
          '--old-note',
          note,
          '--new-note',
          oldNote,
          '--key',
          vkey,
          '--proof',
          consistency,
        ]),
        run([
          'checkpoint',
          await write(
            'forged.txt',
            notes[notes.length - 1].replace(`\n${N}\n`, `\n${N + 1}\n`),
          ),
          '--key',
          vkey,
        ]),
        run(['inclusion', '--note', note, '--key', vkey]),
      ]);
      const root = encodeBase64(checkpoints[checkpoints.length - 1].rootHash);
      expect(checkpoint).toMatchObject({
        code: 0,
        stdout: `ok: ${ORIGIN} tree size ${N}, root ${root} (signed by ${vkey
          .split('+')
          .slice(0, 2)
          .join('+')})\n`,
      });
      expect(inclusion.code).toBe(0);
      expect(JSON.parse(inclusion.stdout)).toMatchObject({
        ok: true,
        checkpoint: { origin: ORIGIN, treeSize: N, rootHash: root },
      });
      expect(viaLink).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(
          `is seq 42 (leaf 41) of the tree of ${N} signed by ${ORIGIN} (via the tree of 50, a proven prefix)`,
        ),
      });
      expect(prefix).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(
          /^ok: the tree of 64 \(root .*\) is a prefix of the tree of 613/,
        ),
      });
      expect(wrongLeaf).toMatchObject({
        code: 1,
        stdout: expect.stringContaining(
          'the path does not hash to the signed root',
        ),
      });
      expect(swapped.code).toBe(1);
      expect(forged).toMatchObject({
        code: 1,
        stdout: expect.stringContaining('does not verify'),
      });
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('inclusion needs --proof');
    });
  });
});
