import {
  AuditActor,
  AuditEventInput,
  AuditResource,
} from '@internal/plugin-audit-common';
import { createHash } from 'node:crypto';
import { open, FileHandle } from 'node:fs/promises';
import { TenantInfo } from '../services/TenantDirectory';
import {
  countAppended,
  emailDomain,
  IngestTickResult,
  isoTime,
  nonEmpty,
  ocisAction,
  OcisActionInfo,
} from './actionMaps';
import { jsonNestingDepth, MAX_INGEST_JSON_DEPTH } from './json';
import { IngestContext } from './types';

/** The ingest source, and the key of its cursor. */
export const OCIS_SOURCE = 'ocis';

/**
 * Where the tailer is: the file (inode, and `fileKey`, a hash of its first
 * line, which also recognizes it after a copy-and-truncate rotation) and the
 * byte offset after the last complete line read.
 */
export interface OcisCursor {
  inode: string;
  offset: number;
  fileKey: string;
}

/** The fields every OCIS audit line has; the rest are the event's own. */
const BASE_FIELDS = new Set([
  'RemoteAddr',
  'User',
  'URL',
  'Method',
  'UserAgent',
  'Time',
  'App',
  'Message',
  'Action',
  'CLI',
  'Level',
]);

/** The file's identity is its first line, or its first 64 KiB when longer. */
const KEY_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const STEP_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** An open log file as the tailer sees it. */
interface LogFile {
  path: string;
  handle: FileHandle;
  inode: string;
  size: number;
  /** '' while the file has no complete first line. */
  key: string;
}

interface Line {
  offset: number;
  text: string;
}

/**
 * Tails the OCIS audit service's JSON-lines file (`AUDIT_LOG_TO_FILE=true`,
 * `AUDIT_FILEPATH`, `AUDIT_FORMAT=json`): each tick reads the complete lines
 * added since the cursor (a trailing partial line waits for the next tick),
 * records the allowlisted mutations, then saves the cursor.
 *
 * - Rotation (the file at `file` has another identity): the rest of the old
 *   file is read first when it is still reachable as `<file>.1` (renamed or
 *   copied-then-truncated), then the new file from its start.
 * - Truncation (shorter than the cursor, or rewritten: its first line
 *   changed): read again from the start.
 * - A line that is not JSON is logged with its offset and skipped.
 *
 * OCIS lines carry no event id (and often no time), so the externalId is a
 * SHA-256 of the file's identity, the line's offset and the line: a line read
 * twice (after a crash before the cursor was saved, or from `<file>.1` after
 * a copy-and-truncate) is deduplicated, while two identical lines — the same
 * action repeated — stay two events.
 */
export class OcisTailer {
  private readonly ctx: IngestContext;
  private readonly file: string;
  private readonly maxBytesPerTick: number;
  private readonly userTenant?: (
    userId: string,
  ) => Promise<TenantInfo | undefined>;
  private inFlight = false;

  constructor(options: {
    ctx: IngestContext;
    /** Path of the audit log, as OCIS writes it (AUDIT_FILEPATH). */
    file: string;
    /** How much to read per tick at most (default 8 MiB); a longer single line is read whole. */
    maxBytesPerTick?: number;
    /**
     * The tenant of an OCIS user id, when something can tell (OCIS ids are
     * opaque; without this only ids that are mail addresses are attributed).
     */
    userTenant?: (userId: string) => Promise<TenantInfo | undefined>;
  }) {
    this.ctx = options.ctx;
    this.file = options.file;
    this.maxBytesPerTick = options.maxBytesPerTick ?? 8 * 1024 * 1024;
    this.userTenant = options.userTenant;
  }

  /** Reads, records, then saves the cursor; throws on a failed write, cursor unchanged. */
  async tick(): Promise<IngestTickResult> {
    if (this.inFlight) {
      this.ctx.logger.debug('OCIS ingest: previous tick still running');
      return { fetched: 0, recorded: 0, skipped: true };
    }
    this.inFlight = true;
    try {
      await this.ctx.catalog?.whenReady();
      return await this.run();
    } finally {
      this.inFlight = false;
    }
  }

  private async run(): Promise<IngestTickResult> {
    const cursor = await this.readCursor();
    const current = await openLog(this.file);
    let rotated: LogFile | undefined;
    try {
      let budget = this.maxBytesPerTick;
      const inputs: AuditEventInput[] = [];
      let position: OcisCursor | undefined = cursor;

      const consume = async (log: LogFile, start: number, final: boolean) => {
        const read = await readLines(log, start, budget, final);
        budget -= read.end - start;
        for (const line of read.lines) {
          const input = await this.toInput(log, line);
          if (input) inputs.push(input);
        }
        position = { inode: log.inode, offset: read.end, fileKey: log.key };
        return read.end >= log.size;
      };

      if (cursor && cursor.offset > 0 && current && isSame(current, cursor)) {
        await consume(current, cursor.offset, false);
      } else {
        let startNew = true;
        if (cursor && cursor.offset > 0) {
          rotated = await openLog(`${this.file}.1`);
          if (rotated && isSame(rotated, cursor, true)) {
            startNew = await consume(rotated, cursor.offset, true);
          } else if (current) {
            this.reportLost(cursor, current);
          }
        }
        if (startNew && current && budget > 0) {
          await consume(current, 0, false);
        }
      }

      const recorded = inputs.length
        ? countAppended(await this.ctx.record(inputs))
        : 0;
      if (position && JSON.stringify(position) !== JSON.stringify(cursor)) {
        await this.ctx.cursors.set(OCIS_SOURCE, JSON.stringify(position));
      }
      return { fetched: inputs.length, recorded };
    } finally {
      await current?.handle.close();
      await rotated?.handle.close();
    }
  }

  private reportLost(cursor: OcisCursor, current: LogFile) {
    if (current.inode === cursor.inode) {
      this.ctx.logger.info(
        `OCIS ingest: ${this.file} was truncated or rewritten; reading it from the start`,
      );
    } else {
      this.ctx.logger.warn(
        `OCIS ingest: ${this.file} was rotated and the rest of the previous file (from byte ${cursor.offset}) is not at ${this.file}.1; continuing with the new file`,
      );
    }
  }

  private async readCursor(): Promise<OcisCursor | undefined> {
    const raw = await this.ctx.cursors.get(OCIS_SOURCE);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw);
      return {
        inode: String(parsed.inode),
        offset: Number(parsed.offset) || 0,
        fileKey: String(parsed.fileKey ?? ''),
      };
    } catch {
      throw new Error(`OCIS ingest: stored cursor is not JSON: ${raw}`);
    }
  }

  /** The audit event of one line, or undefined when it is bad or not allowlisted. */
  private async toInput(
    log: LogFile,
    line: Line,
  ): Promise<AuditEventInput | undefined> {
    const text = line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text;
    if (!text.trim()) return undefined;
    let event: Record<string, unknown>;
    try {
      // a line nested too deep would overflow the stack when stored, fail
      // every tick and hold the cursor: skipped like any bad line
      if (
        jsonNestingDepth(text, MAX_INGEST_JSON_DEPTH) > MAX_INGEST_JSON_DEPTH
      ) {
        throw new Error(`nests deeper than ${MAX_INGEST_JSON_DEPTH} levels`);
      }
      event = JSON.parse(text);
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        throw new Error('not a JSON object');
      }
    } catch (error) {
      this.ctx.logger.warn(
        `OCIS ingest: skipping line at byte ${line.offset} of ${log.path}: ${error}`,
      );
      return undefined;
    }
    const info = ocisAction(
      String(event.Action ?? ''),
      nonEmpty(event.ShareType),
    );
    if (!info) return undefined;

    const executant = executantOf(event);
    const tenant = await this.tenantOf(event, executant);
    return {
      at: isoTime(event.Time) ?? new Date().toISOString(),
      actor: actorOf(event, executant),
      action: info.verb,
      outcome: 'success',
      resource: resourceOf(event, info),
      tenant: tenant?.tenantRef,
      partner: tenant?.partnerRef,
      source: OCIS_SOURCE,
      externalId: createHash('sha256')
        .update(`${log.key}:${line.offset}:${text}`)
        .digest('hex'),
      metadata: metadataOf(event, executant),
    };
  }

  /** The space's name first (set to the tenant slug when provisioned), then the executing user. */
  private async tenantOf(
    event: Record<string, unknown>,
    executant: string | undefined,
  ): Promise<TenantInfo | undefined> {
    for (const name of [nonEmpty(event.Name), nonEmpty(event.NewName)]) {
      const tenant = name && (await this.ctx.tenants.byName(name));
      if (tenant) return tenant;
    }
    if (!executant) return undefined;
    const domain = emailDomain(executant);
    const byDomain = domain && (await this.ctx.tenants.byDomain(domain));
    if (byDomain) return byDomain;
    return this.userTenant?.(executant);
  }
}

/** Opens `path` and reads its identity from the open file (no race with a rename). */
async function openLog(path: string): Promise<LogFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat({ bigint: true });
    const size = Number(stats.size);
    const head = Buffer.alloc(Math.min(size, KEY_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const newline = head.subarray(0, bytesRead).indexOf(NEWLINE);
    let key = '';
    if (newline >= 0) key = sha256(head.subarray(0, newline + 1));
    else if (bytesRead >= KEY_BYTES) key = sha256(head);
    return { path, handle, inode: String(stats.ino), size, key };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Whether `log` is the file the cursor points into: the same first line and
 * at least as long; and, unless it may be a copy (`<file>.1` after a
 * copy-and-truncate), the same inode.
 */
function isSame(log: LogFile, cursor: OcisCursor, copyAllowed = false) {
  return (
    log.size >= cursor.offset &&
    log.key === cursor.fileKey &&
    (copyAllowed || log.inode === cursor.inode)
  );
}

/**
 * The complete lines in the `budget` bytes from `start` (a single line
 * longer than that is read whole). With `final` (a rotated file that will
 * not grow) a last line without a newline counts too, once it is reached.
 */
async function readLines(
  log: LogFile,
  start: number,
  budget: number,
  final: boolean,
): Promise<{ lines: Line[]; end: number }> {
  const chunks: Buffer[] = [];
  let position = start;
  let length = 0;
  let sawNewline = false;
  while (position < log.size && !(length >= budget && sawNewline)) {
    // up to the budget; past it (a line longer than the budget) in small steps to its end
    const want = budget > length ? budget - length : STEP_BYTES;
    const chunk = Buffer.alloc(
      Math.min(CHUNK_BYTES, want, log.size - position),
    );
    const { bytesRead } = await log.handle.read(
      chunk,
      0,
      chunk.length,
      position,
    );
    if (bytesRead === 0) break;
    const data = chunk.subarray(0, bytesRead);
    chunks.push(data);
    sawNewline ||= data.includes(NEWLINE);
    position += bytesRead;
    length += bytesRead;
  }
  const data = Buffer.concat(chunks);
  const atEnd = position >= log.size;
  const cut = final && atEnd ? data.length : data.lastIndexOf(NEWLINE) + 1;
  const lines: Line[] = [];
  let from = 0;
  while (from < cut) {
    const newline = data.indexOf(NEWLINE, from);
    const to = newline < 0 || newline >= cut ? cut : newline;
    lines.push({
      offset: start + from,
      text: data.subarray(from, to).toString('utf8'),
    });
    from = to + 1;
  }
  return { lines, end: start + cut };
}

/** Who did it: OCIS names the executant in the message; `User` is often the owner. */
function executantOf(event: Record<string, unknown>): string | undefined {
  const explicit = nonEmpty(event.Executant);
  if (explicit) return explicit;
  const message = nonEmpty(event.Message);
  const named = message?.match(/^user '([^']+)'/)?.[1];
  return nonEmpty(named) ?? nonEmpty(event.User);
}

function actorOf(
  event: Record<string, unknown>,
  executant: string | undefined,
): AuditActor {
  const ip = nonEmpty(event.RemoteAddr);
  if (!executant || event.CLI === true) {
    return ip ? { type: 'system', ip } : { type: 'system' };
  }
  const actor: AuditActor = { type: 'user' };
  if (emailDomain(executant)) actor.email = executant;
  if (ip) actor.ip = ip;
  return actor;
}

function resourceOf(
  event: Record<string, unknown>,
  info: OcisActionInfo,
): AuditResource | undefined {
  const pick = (...fields: string[]) =>
    fields.map(f => nonEmpty(event[f])).find(Boolean);
  const [ref, name] = {
    file: [pick('FileID'), pick('Path')],
    folder: [pick('FileID'), pick('Path')],
    share: [pick('ShareID', 'FileID'), pick('Path')],
    space: [pick('SpaceID'), pick('Name', 'NewName')],
    user: [pick('UserID'), undefined],
    group: [pick('GroupID'), undefined],
  }[info.resource];
  const resource: AuditResource = { type: info.resource };
  if (ref) resource.ref = ref;
  if (name) resource.name = name;
  return resource;
}

/** The message and the event's own fields (empty ones left out). */
function metadataOf(
  event: Record<string, unknown>,
  executant: string | undefined,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ocisAction: event.Action };
  if (executant) metadata.ocisUser = executant;
  for (const [field, key] of [
    ['Message', 'message'],
    ['URL', 'url'],
    ['Method', 'method'],
    ['UserAgent', 'userAgent'],
  ]) {
    const value = nonEmpty(event[field]);
    if (value) metadata[key] = value;
  }
  for (const [field, value] of Object.entries(event)) {
    if (BASE_FIELDS.has(field)) continue;
    if (value === '' || value === null || value === undefined) continue;
    metadata[field] = value;
  }
  return metadata;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
