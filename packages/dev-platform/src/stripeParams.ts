/*
 * Stripe's v1 request parameters: form/query decoding with brackets and
 * indexes (`items[0][price]=price_1&metadata[tenant]=acme&expand[]=x`), and
 * validation against a per-endpoint parameter spec — unknown parameters,
 * missing ones, integers, booleans, enums, and the empty value that unsets
 * an `Emptyable` parameter (`pause_collection=`, `metadata[k]=`).
 *
 * Spec: /work/shared/design/apis/stripe.md §1 (transport), §3 (error codes);
 * the encoder is stripe-node's `stringifyRequestData` (cjs/utils.js).
 */
import { Obj } from './http';

/** A parameter error, rendered as Stripe's 400 invalid_request_error. */
export class StripeParamError extends Error {
  constructor(message: string, readonly param: string, readonly code?: string) {
    super(message);
  }
}

/** Raw decoded parameters: strings in nested objects (indexes stay object keys). */
export type RawParams = { [key: string]: string | RawParams };

/**
 * Decodes `a[b][0][c]=v` pairs into nested objects. An empty bracket pair
 * (`expand[]=x`) appends at the next index. The same key twice: the last wins.
 */
export function decodeParams(pairs: Iterable<[string, string]>): RawParams {
  const root: RawParams = {};
  for (const [key, value] of pairs) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const path = match
      ? [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map(m => m[1])]
      : [key];
    let node: RawParams = root;
    for (let i = 0; i < path.length; i++) {
      let part = path[i];
      if (part === '') part = String(Object.keys(node).length);
      if (i === path.length - 1) {
        node[part] = value;
      } else {
        const next = node[part];
        if (typeof next !== 'object') node[part] = {};
        node = node[part] as RawParams;
      }
    }
  }
  return root;
}

/** The body of a POST (application/x-www-form-urlencoded, whatever the header says). */
export function decodeForm(body: Buffer): RawParams {
  return decodeParams(new URLSearchParams(body.toString('utf8')).entries());
}

/** Parameter specs. `emptyable`: `''` is accepted and means "unset" (null). */
export type ParamSpec =
  | { t: 'string'; enum?: readonly string[]; emptyable?: boolean }
  | { t: 'integer'; min?: number; max?: number; emptyable?: boolean }
  | { t: 'boolean' }
  | { t: 'metadata' }
  | {
      t: 'object';
      fields: Record<string, ParamSpec>;
      required?: readonly string[];
      emptyable?: boolean;
    }
  | { t: 'array'; of: ParamSpec; emptyable?: boolean }
  /** `created=123` or `created[gte]=100&created[lt]=200`: {gt?, gte?, lt?, lte?}. */
  | { t: 'range' };

export const str = (
  opts: { enum?: readonly string[]; emptyable?: boolean } = {},
): ParamSpec => ({ t: 'string', ...opts });
export const int = (
  opts: { min?: number; max?: number; emptyable?: boolean } = {},
): ParamSpec => ({ t: 'integer', ...opts });
export const bool: ParamSpec = { t: 'boolean' };
export const metadata: ParamSpec = { t: 'metadata' };
export const obj = (
  fields: Record<string, ParamSpec>,
  opts: { required?: readonly string[]; emptyable?: boolean } = {},
): ParamSpec => ({ t: 'object', fields, ...opts });
export const arr = (of: ParamSpec, opts: { emptyable?: boolean } = {}) =>
  ({ t: 'array', of, ...opts } as ParamSpec);
export const expand: ParamSpec = arr(str());
export const range: ParamSpec = { t: 'range' };

/** The parameters an endpoint accepts at the top level. */
export interface EndpointParams {
  fields: Record<string, ParamSpec>;
  required?: readonly string[];
}

function emptyError(param: string) {
  return new StripeParamError(
    `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
    param,
    'parameter_invalid_empty',
  );
}

function validateObject(
  raw: RawParams,
  fields: Record<string, ParamSpec>,
  required: readonly string[],
  prefix: string,
): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    const spec = fields[key];
    if (!spec) {
      throw new StripeParamError(
        `Received unknown parameter: ${name}`,
        name,
        'parameter_unknown',
      );
    }
    out[key] = validateValue(value, spec, name);
  }
  for (const key of required) {
    if (out[key] === undefined || out[key] === null) {
      const name = prefix ? `${prefix}[${key}]` : key;
      throw new StripeParamError(
        `Missing required param: ${name}.`,
        name,
        'parameter_missing',
      );
    }
  }
  return out;
}

function validateValue(
  value: string | RawParams,
  spec: ParamSpec,
  name: string,
): unknown {
  if (value === '') {
    if (spec.t === 'metadata' || ('emptyable' in spec && spec.emptyable)) {
      return null;
    }
    if (spec.t !== 'string') throw emptyError(name);
  }
  switch (spec.t) {
    case 'string':
      if (typeof value !== 'string') {
        throw new StripeParamError(
          `Invalid string: ${JSON.stringify(value)}`,
          name,
          'parameter_invalid_string',
        );
      }
      if (value === '' && !spec.emptyable) throw emptyError(name);
      if (spec.enum && !spec.enum.includes(value)) {
        throw new StripeParamError(
          `Invalid ${name}: must be one of ${spec.enum.join(', ')}`,
          name,
        );
      }
      return value;
    case 'integer': {
      if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
        throw new StripeParamError(
          `Invalid integer: ${typeof value === 'string' ? value : 'an object'}`,
          name,
          'parameter_invalid_integer',
        );
      }
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) {
        throw new StripeParamError(
          `This value must be greater than or equal to ${spec.min}.`,
          name,
          'parameter_invalid_integer',
        );
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new StripeParamError(
          `This value must be less than or equal to ${spec.max} (it currently is '${n}').`,
          name,
          'parameter_invalid_integer',
        );
      }
      return n;
    }
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new StripeParamError(
        `Invalid boolean: ${typeof value === 'string' ? value : 'an object'}`,
        name,
      );
    case 'metadata': {
      if (typeof value === 'string') {
        throw new StripeParamError(
          `Invalid object: ${name} must be a hash of key-value pairs`,
          name,
        );
      }
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw new StripeParamError(
            `Metadata values must be strings: ${name}[${k}]`,
            `${name}[${k}]`,
          );
        }
        out[k] = v === '' ? null : v;
      }
      return out;
    }
    case 'object':
      if (typeof value === 'string') {
        throw new StripeParamError(`Invalid object: ${name}`, name);
      }
      return validateObject(value, spec.fields, spec.required ?? [], name);
    case 'array': {
      if (typeof value === 'string') {
        throw new StripeParamError(`Invalid array: ${name}`, name);
      }
      const keys = Object.keys(value);
      if (!keys.every(k => /^\d+$/.test(k))) {
        throw new StripeParamError(`Invalid array: ${name}`, name);
      }
      return keys
        .sort((a, b) => Number(a) - Number(b))
        .map(k => validateValue(value[k], spec.of, `${name}[${k}]`));
    }
    case 'range': {
      const bound = int();
      if (typeof value === 'string') {
        const n = validateValue(value, bound, name) as number;
        return { gte: n, lte: n };
      }
      return validateObject(
        value,
        { gt: bound, gte: bound, lt: bound, lte: bound },
        [],
        name,
      );
    }
    default:
      throw new Error('unreachable');
  }
}

/** The endpoint's parameters, validated and typed; throws StripeParamError. */
export function validateParams(raw: RawParams, spec: EndpointParams): Obj {
  return validateObject(raw, spec.fields, spec.required ?? [], '');
}

/** Stable JSON (sorted keys) for comparing the parameters of idempotent requests. */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Obj)
    .sort()
    .map(k => `${JSON.stringify(k)}:${canonicalJson((value as Obj)[k])}`);
  return `{${entries.join(',')}}`;
}
