/**
 * How deeply an ingested JSON document (a Stalwart delivery, an OCIS log
 * line) may nest objects and arrays. Far beyond any real event (a Stalwart
 * delivery is `{ events: [{ data: { … } }] }`, about five levels), far below
 * the few thousand levels at which storing it overflows the stack: the
 * chain hashes and stores metadata with `canonicalize` and `JSON.stringify`,
 * which recurse once per level (`RangeError: Maximum call stack size
 * exceeded`). `JSON.parse` itself does not recurse and accepts any depth, so
 * the limit is checked on the text before parsing.
 */
export const MAX_INGEST_JSON_DEPTH = 32;

/**
 * The deepest nesting of objects and arrays in JSON text (`1` for `{}`,
 * `2` for `{"a":[]}`, `0` for a scalar), counted over the raw text without
 * parsing — brackets inside strings are skipped — and without recursion.
 * Stops counting once `limit` is exceeded and returns `limit + 1`.
 */
export function jsonNestingDepth(
  text: string,
  limit = Number.MAX_SAFE_INTEGER,
): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++; // skip the escaped character
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}
