import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import {
  appendFile,
  copyFile,
  mkdtemp,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../database/AuditStore';
import { tenants } from './__fixtures__/tenants';
import { verifyChain } from '../services/verifyChain';
import { OcisTailer } from './ocis';
import { IngestContext } from './types';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

let counter = 0;

/** A line as the OCIS audit service writes it with AUDIT_LOG_FORMAT=json. */
function line(action: string, fields: Record<string, unknown> = {}): string {
  counter += 1;
  return `${JSON.stringify({
    RemoteAddr: '',
    User: 'u-owner',
    URL: '',
    Method: '',
    UserAgent: '',
    Time: '',
    App: 'admin_audit',
    Message: `user 'jane@globex.example' created file 'item-${counter}'`,
    Action: action,
    CLI: false,
    Level: 1,
    Path: `/docs/file-${counter}.txt`,
    Owner: 'u-owner',
    FileID: `storage$space!item-${counter}`,
    ...fields,
  })}\n`;
}

describe.each(databases.eachSupportedId())('OcisTailer on %p', databaseId => {
  let knex: Knex;
  let store: AuditStore;
  let ctx: IngestContext;
  let logger: ReturnType<typeof mockServices.logger.mock>;
  let dir: string;
  let file: string;

  const rows = () => knex('audit_events').orderBy('seq');
  const files = async () =>
    (await rows()).map(r => JSON.parse(r.metadata).FileID);
  const cursor = async () =>
    JSON.parse((await store.getCursor('ocis')) ?? 'null');
  const tailer = (maxBytesPerTick?: number) =>
    new OcisTailer({ ctx, file, maxBytesPerTick });

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await AuditStore.create({
      database: mockServices.database({ knex }),
    });
    logger = mockServices.logger.mock();
    ctx = {
      record: inputs => store.append(inputs),
      cursors: {
        get: source => store.getCursor(source),
        set: (source, value) => store.setCursor(source, value),
      },
      tenants,
      logger,
    };
    dir = await mkdtemp(join(tmpdir(), 'ocis-audit-'));
    file = join(dir, 'audit.log');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads complete lines, and a partial last line only once it is complete', async () => {
    const t = tailer();
    const created = line('file_create');
    await expect(t.tick()).resolves.toEqual({ fetched: 0, recorded: 0 });

    await writeFile(
      file,
      line('space_created', {
        Message: "user 'u-admin' created a space 'sp-1' with name 'acme'",
        User: '',
        SpaceID: 'sp-1',
        Name: 'acme',
        Type: 'project',
        Time: '2026-11-25T16:00:00Z',
      }) + created,
    );
    await expect(t.tick()).resolves.toEqual({ fetched: 2, recorded: 2 });

    const shared = line('file_shared', {
      Message: "user 'u-owner' shared file 'item' with 'u-2'",
      ShareType: 'user',
      ShareWith: 'u-2',
      Time: '2026-11-25T17:00:00Z',
    });
    const partial = line('file_delete');
    await appendFile(file, shared + partial.slice(0, 40));
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });
    const size = (await stat(file)).size;
    expect((await cursor()).offset).toBe(size - 40);

    await appendFile(file, partial.slice(40));
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });
    await expect(t.tick()).resolves.toEqual({ fetched: 0, recorded: 0 });

    const stored = await rows();
    expect(stored.map(r => r.action)).toEqual([
      'ocis.space_created',
      'ocis.file_uploaded',
      'ocis.share_created',
      'ocis.file_trashed',
    ]);
    expect(stored[0]).toMatchObject({
      at: '2026-11-25T16:00:00.000Z',
      source: 'ocis',
      actor_type: 'user',
      actor_email: null,
      resource_type: 'space',
      resource_ref: 'sp-1',
      resource_name: 'acme',
      tenant_ref: 'tenant:default/acme', // by space name
      partner_ref: 'partner:default/nordlicht-it',
    });
    expect(stored[1]).toMatchObject({
      actor_type: 'user',
      actor_email: 'jane@globex.example', // the executant, not the owner
      resource_type: 'file',
      resource_name: JSON.parse(created).Path,
      tenant_ref: 'tenant:default/globex', // by the executant's domain
    });
    expect(Date.parse(stored[1].at)).not.toBeNaN(); // no Time: the time read
    expect(JSON.parse(stored[1].metadata)).toMatchObject({
      ocisAction: 'file_create',
      ocisUser: 'jane@globex.example',
      Owner: 'u-owner',
    });
    expect(stored[2]).toMatchObject({
      at: '2026-11-25T17:00:00.000Z',
      tenant_ref: null,
    });
    await expect(verifyChain(store)).resolves.toMatchObject({ ok: true });
  });

  it('skips lines that are not JSON objects with a warning, and actions not allowlisted', async () => {
    const first = line('file_create');
    await writeFile(
      file,
      [
        first,
        'this is not json\n',
        line('file_read'),
        line('public_link_accessed'),
        '[1, 2]\n',
        '\n',
        // would overflow the stack when stored: skipped, not a failing tick
        `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}\n`,
        line('group_created', {
          GroupID: 'g-1',
          Message: "user 'u-admin' created group 'g-1'",
        }),
      ].join(''),
    );
    await expect(tailer().tick()).resolves.toEqual({ fetched: 2, recorded: 2 });
    expect((await rows()).map(r => r.action)).toEqual([
      'ocis.file_uploaded',
      'ocis.group_created',
    ]);
    expect(logger.warn).toHaveBeenCalledTimes(3);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        `line at byte ${Buffer.byteLength(first)} of ${file}`,
      ),
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('nests deeper than 32 levels'),
    );
    expect((await cursor()).offset).toBe((await stat(file)).size);
  });

  it('reads a truncated file again from its start, losing and repeating nothing', async () => {
    const t = tailer();
    await writeFile(file, line('file_create') + line('file_create'));
    await t.tick();

    // truncated to less than was read
    await truncate(file, 0);
    const c = line('file_delete');
    await writeFile(file, c);
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });

    // truncated and rewritten beyond the old offset: the first line changed
    await truncate(file, 0);
    await writeFile(
      file,
      line('file_rename') + line('file_rename') + line('file_rename'),
    );
    await expect(t.tick()).resolves.toEqual({ fetched: 3, recorded: 3 });

    // the same line content at a new place is a new event
    await appendFile(file, c);
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });

    const stored = await rows();
    expect(stored.map(r => r.action)).toEqual([
      'ocis.file_uploaded',
      'ocis.file_uploaded',
      'ocis.file_trashed',
      'ocis.file_moved',
      'ocis.file_moved',
      'ocis.file_moved',
      'ocis.file_trashed',
    ]);
    expect(new Set(stored.map(r => r.external_id)).size).toBe(7);
  });

  it('after a rename rotation reads the rest of <file>.1, then the new file', async () => {
    const t = tailer();
    await writeFile(file, line('file_create'));
    await t.tick();

    await appendFile(file, line('file_delete') + line('file_trash_delete'));
    await rename(file, `${file}.1`);
    await writeFile(file, line('container_create'));
    await expect(t.tick()).resolves.toEqual({ fetched: 3, recorded: 3 });

    await appendFile(file, line('file_rename'));
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });
    expect((await rows()).map(r => r.action)).toEqual([
      'ocis.file_uploaded',
      'ocis.file_trashed',
      'ocis.file_purged',
      'ocis.folder_created',
      'ocis.file_moved',
    ]);
    expect((await cursor()).inode).toBe(String((await stat(file)).ino));
  });

  it('after a copy-and-truncate rotation reads the rest of the copy, then the file', async () => {
    const t = tailer();
    await writeFile(file, line('file_create'));
    await t.tick();

    await appendFile(file, line('file_delete'));
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    await writeFile(file, line('file_rename'));
    await expect(t.tick()).resolves.toEqual({ fetched: 2, recorded: 2 });
    expect((await rows()).map(r => r.action)).toEqual([
      'ocis.file_uploaded',
      'ocis.file_trashed',
      'ocis.file_moved',
    ]);
  });

  it('warns when a rotated file is gone and continues with the new one', async () => {
    const t = tailer();
    await writeFile(file, line('file_create'));
    await t.tick();

    await appendFile(file, line('file_delete'));
    await rename(file, join(dir, 'audit.log.2026-11-25'));
    await writeFile(file, line('file_rename'));
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('was rotated'),
    );
  });

  it('reads at most maxBytesPerTick, and a longer single line whole', async () => {
    const lines = Array.from({ length: 9 }, () => line('file_create'));
    await writeFile(file, lines.join(''));
    const budget = Buffer.byteLength(lines[0]) * 3 + 10; // three lines and a bit
    const t = tailer(budget);
    for (let i = 0; i < 3; i++) {
      await expect(t.tick()).resolves.toEqual({ fetched: 3, recorded: 3 });
    }
    await expect(t.tick()).resolves.toEqual({ fetched: 0, recorded: 0 });
    expect(await files()).toEqual(lines.map(l => JSON.parse(l).FileID));

    const long = line('file_create', { Path: `/${'x'.repeat(budget * 2)}` });
    await appendFile(file, long);
    await expect(t.tick()).resolves.toEqual({ fetched: 1, recorded: 1 });
    // cut to the column's width; the whole path stays in the metadata
    const [last] = await knex('audit_events').orderBy('seq', 'desc').limit(1);
    expect(last.resource_name).toHaveLength(255);
    expect(JSON.parse(last.metadata).Path).toBe(JSON.parse(long).Path);
  });

  it('resumes from the stored cursor after a restart, and deduplicates a re-read', async () => {
    await writeFile(file, line('file_create') + line('file_delete'));
    await tailer().tick();
    await appendFile(file, line('file_rename'));
    await expect(tailer().tick()).resolves.toEqual({
      fetched: 1,
      recorded: 1,
    });

    // the cursor lost (e.g. saved before a crash): everything is read again
    await knex('audit_ingest_cursors').where({ source: 'ocis' }).delete();
    await expect(tailer().tick()).resolves.toEqual({
      fetched: 3,
      recorded: 0,
    });
    expect(await rows()).toHaveLength(3);
  });
});
