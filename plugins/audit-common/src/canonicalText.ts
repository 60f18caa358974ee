/*
 * Whether a JSON text is already the chain's canonical JSON of what it holds,
 * found by reading it once, without parsing it into values and writing them
 * back: how a verifier takes stored metadata, stored in key order, as it is.
 */

/** Nesting deeper than this is left to JSON.parse and canonicalJson. */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/** JSON's number grammar; canonical only where it is also how JavaScript writes the number. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The escapes JSON.stringify writes with one letter: b, t, n, f, r, and `"` and `\`. */
const SHORT_ESCAPES = new Set([0x62, 0x74, 0x6e, 0x66, 0x72, QUOTE, BACKSLASH]);

// The text being read and where: one reading at a time (it never waits).
let text = '';
let at = 0;

/** Reads a value at `at`; false where it is not canonical (or not sure). */
function value(depth: number, inArray: boolean): boolean {
  const c = text.charCodeAt(at);
  if (c === 0x7b) return object(depth + 1);
  if (c === 0x5b) return array(depth + 1);
  if (c === QUOTE) return string(true);
  if (literal('true') || literal('false')) return true;
  // null: canonical in an array; an object's null member is left out
  if (inArray && literal('null')) return true;
  return number();
}

function literal(word: string): boolean {
  if (!text.startsWith(word, at)) return false;
  at += word.length;
  return true;
}

function number(): boolean {
  NUMBER.lastIndex = at;
  const match = NUMBER.exec(text);
  if (!match) return false;
  const token = match[0];
  const n = Number(token);
  at += token.length;
  // as JSON.stringify writes it (no -0, no 1.0, no 1E3; finite)
  return Number.isFinite(n) && String(n) === token;
}

/**
 * A string as JSON.stringify writes it: no control characters or
 * surrogates, escapes only those it writes with one letter (`escapes`;
 * names are compared as they stand, so they take none).
 */
function string(escapes: boolean): boolean {
  at++;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === QUOTE) {
      at++;
      return true;
    }
    if (c === BACKSLASH) {
      if (!escapes || !SHORT_ESCAPES.has(text.charCodeAt(at + 1))) return false;
      at += 2;
      continue;
    }
    // NaN: the text ended
    if (!(c >= 0x20) || (c >= 0xd800 && c <= 0xdfff)) return false;
    at++;
  }
}

function object(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  at++;
  if (text.charCodeAt(at) === 0x7d) {
    at++;
    return true;
  }
  let previous: string | undefined;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return false;
    const start = at + 1;
    if (!string(false)) return false;
    const key = text.slice(start, at - 1);
    // members in the order sort() gives, each once; __proto__ is the definition's to decide
    if ((previous !== undefined && !(previous < key)) || key === '__proto__') {
      return false;
    }
    previous = key;
    if (text.charCodeAt(at++) !== COLON || !value(depth, false)) return false;
    const c = text.charCodeAt(at++);
    if (c === 0x7d) return true;
    if (c !== COMMA) return false;
  }
}

function array(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  at++;
  if (text.charCodeAt(at) === 0x5d) {
    at++;
    return true;
  }
  for (;;) {
    if (!value(depth, true)) return false;
    const c = text.charCodeAt(at++);
    if (c === 0x5d) return true;
    if (c !== COMMA) return false;
  }
}

/**
 * True when `text` is the canonical JSON (canonicalJson) of the value it
 * holds — canonicalJson(JSON.parse(text)) === text — and that value is not
 * null: members in key order, no null members, no whitespace, numbers and
 * strings as JSON.stringify writes them. False means not canonical or not
 * sure (\u escapes, escaped names, surrogates, `__proto__`, deep nesting):
 * parse and write it.
 */
export function isCanonicalJsonText(json: string): boolean {
  text = json;
  at = 0;
  const canonical = value(0, false) && at === json.length;
  text = '';
  return canonical;
}
