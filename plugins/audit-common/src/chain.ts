/*
 * The hash chain: each event's hash, and the checks every verifier makes on
 * the next event of a chain (the backend's verifyChain, the cold archive,
 * the offline export verifier).
 */
import canonicalize from 'canonicalize';
import { sha256Hex } from './sha256';
import { AuditBreak, AuditEvent } from './types';

/** Drops undefined and null members, at every depth, so a stored-and-read event hashes like the original. */
function compact(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(compact);
  return compactObject(value as Record<string, unknown>);
}

/** compact() of an object, leaving out the member `omit` too. */
function compactObject(
  value: Record<string, unknown>,
  omit?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    if (k === omit) continue;
    const v = value[k];
    if (v !== undefined && v !== null) {
      out[k] = typeof v === 'object' ? compact(v) : v;
    }
  }
  return out;
}

/**
 * The text an event's hash is taken over, by definition (chainText writes
 * the same faster; exported for the tests that compare them): the RFC 8785
 * canonical JSON (the `canonicalize` library) of the event compacted —
 * empty (undefined, null) members left out at every depth — without `hash`.
 */
export function definedText(event: Record<string, unknown>): string {
  const text = canonicalize(compactObject(event, 'hash'));
  if (text === undefined) throw new Error('event cannot be canonicalized');
  return text;
}

/** Thrown by the fast form for what only the definition may decide. */
class NotPlainJson extends Error {}

/*
 * The same text as definedText, written directly, for plain JSON data (what
 * an event is once stored and read back): no compacted copy, no reduce.
 * Anything else — a value that is not a string, finite number, boolean,
 * null, array or plain object, an array with holes, a `__proto__` member
 * (which the compacted copy turns into a prototype) — throws NotPlainJson,
 * and the definition decides. chain.test.ts compares both on random data.
 */
/** A string JSON.stringify writes as it is, between quotes: no `"`, `\`, control character or surrogate. */
// eslint-disable-next-line no-control-regex
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * JSON.stringify(text), without the call for the usual text: a string as
 * canonicalJson writes it (for a writer that puts a text together from its
 * pieces, as the backend's rowChainText).
 */
export function quote(text: string): string {
  return PLAIN_STRING.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** Member names seen, quoted (an event has a few dozen distinct ones). */
const quotedKeys = new Map<string, string>();

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    // metadata may bring any names: keep the cache bounded
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function fastValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      if (!Number.isFinite(v)) throw new NotPlainJson();
      // what JSON.stringify writes for a finite number
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (i) out += ',';
          if (x === undefined) {
            if (!(i in v)) throw new NotPlainJson();
            out += 'null';
          } else {
            out += fastValue(x);
          }
        }
        return `${out}]`;
      }
      return fastObject(v as Record<string, unknown>);
    default:
      throw new NotPlainJson();
  }
}

function fastObject(o: Record<string, unknown>, omit?: string): string {
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) throw new NotPlainJson();
  const keys = Object.keys(o).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    if (k === omit) continue;
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (k === '__proto__') throw new NotPlainJson();
    if (first) first = false;
    else out += ',';
    out += `${quoteKey(k)}:${fastValue(v)}`;
  }
  return `${out}}`;
}

/**
 * The canonical JSON of a value as it stands in an event — what chainText
 * writes for a member's value: RFC 8785 (`canonicalize`), empty members left
 * out at every depth. The text of an event is made of these pieces (`{`,
 * quoted names in order, `:`, values, `,`, `}`), so a writer that knows an
 * event's members (the backend's, for a stored row) can put it together
 * from them.
 */
export function canonicalJson(value: unknown): string {
  try {
    return fastValue(value);
  } catch (e) {
    if (!(e instanceof NotPlainJson)) throw e;
    const text = canonicalize(compact(value));
    if (text === undefined) throw new Error('value cannot be canonicalized');
    return text;
  }
}

/**
 * The text chainHash hashes: RFC 8785 canonical JSON of the event without
 * `hash`, empty optional fields left out at every depth.
 */
export function chainText(event: Omit<AuditEvent, 'hash'>): string {
  const record = event as unknown as Record<string, unknown>;
  try {
    return fastObject(record, 'hash');
  } catch (e) {
    if (e instanceof NotPlainJson) return definedText(record);
    throw e;
  }
}

/**
 * The chain hash of an event: SHA-256 (hex) over the RFC 8785 canonical JSON
 * (as the `canonicalize` library writes it) of every field but `hash`,
 * `prevHash` included. Empty optional fields are left out, so the form does
 * not depend on storage.
 */
export function chainHash(event: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(chainText(event));
}

/** What the chain checks of an event besides its content: its place and its links. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The checks every verifier makes on the next event of a chain, in this
 * order: it links to the one before (`prev-hash-mismatch`: a row inserted,
 * deleted or moved), it has the next seq (`seq-gap`), and its content still
 * gives its hash (`event-hash-mismatch`: a field modified) — `rehash` gives
 * that hash, asked for only when the first two hold.
 */
export function checkLink<T extends ChainLink>(
  link: T,
  expectedSeq: number,
  prevHash: string,
  rehash: (link: T) => string,
): Omit<AuditBreak, 'seq'> | undefined {
  if (link.prevHash !== prevHash) {
    return {
      kind: 'prev-hash-mismatch',
      expected: prevHash,
      actual: link.prevHash,
    };
  }
  if (link.seq !== expectedSeq) {
    return {
      kind: 'seq-gap',
      expected: String(expectedSeq),
      actual: String(link.seq),
    };
  }
  const recomputed = rehash(link);
  if (recomputed !== link.hash) {
    return {
      kind: 'event-hash-mismatch',
      expected: link.hash,
      actual: recomputed,
    };
  }
  return undefined;
}

/** checkLink for an event, its hash by chainHash. */
export function checkEvent(
  event: AuditEvent,
  expectedSeq: number,
  prevHash: string,
): Omit<AuditBreak, 'seq'> | undefined {
  return checkLink(event, expectedSeq, prevHash, chainHash);
}

/** Where the walk of a chain stands before an event: the seq and prevHash it must have. */
export interface ChainPosition {
  expectedSeq: number;
  prevHash: string;
}

/** The first event of a run of events that breaks the chain, and how. */
export interface RunBreak {
  /** Its index in the run. */
  index: number;
  break: AuditBreak;
}

/**
 * Checks a run of consecutive events from `start` (checkEvent on each, in
 * order; each event's own `hash` is the next one's expected `prevHash`):
 * the first break, or undefined when all hold. The result does not depend
 * on any other run, so runs can be checked apart — on worker threads — and
 * their results taken in order: the first run with a break has the chain's
 * first break.
 */
export function checkRun(
  events: Iterable<AuditEvent>,
  start: ChainPosition,
): RunBreak | undefined;
/** checkRun over links of another form (e.g. stored rows), hashed by `rehash`. */
export function checkRun<T extends ChainLink>(
  links: Iterable<T>,
  start: ChainPosition,
  rehash: (link: T) => string,
): RunBreak | undefined;
export function checkRun<T extends ChainLink>(
  links: Iterable<T>,
  start: ChainPosition,
  rehash: (link: T) => string = chainHash as unknown as (link: T) => string,
): RunBreak | undefined {
  let expectedSeq = start.expectedSeq;
  let prevHash = start.prevHash;
  let index = 0;
  for (const link of links) {
    const broken = checkLink(link, expectedSeq, prevHash, rehash);
    if (broken) return { index, break: { ...broken, seq: link.seq } };
    expectedSeq++;
    prevHash = link.hash;
    index++;
  }
  return undefined;
}
