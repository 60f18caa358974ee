/*
 * The request/response shape every stand-in handles, and small helpers.
 */
import { IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

/** A JSON object as the stand-ins store and render it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface StandInRequest {
  method: string;
  /** Path without query string, percent-decoding left to the handler. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Base URL of the stand-in that received the request (no trailing slash). */
  baseUrl: string;
}

export interface StandInResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Runs once the answer has been written (e.g. DKIM keys appear after the create response). */
  afterSend?: Array<() => void>;
}

/** A stand-in of one product. */
export interface StandIn {
  handle(req: StandInRequest): Promise<StandInResponse> | StandInResponse;
  /** The product's own 429 answer. */
  tooManyRequests(retryAfterSeconds: number): StandInResponse;
  /** The product's own 500 answer. */
  serverError(): StandInResponse;
  reset(): void;
  stop(): void;
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
  contentType = 'application/json',
): StandInResponse {
  return {
    status,
    headers: { 'content-type': contentType, ...headers },
    body: JSON.stringify(body),
  };
}

export function emptyResponse(
  status: number,
  headers: Record<string, string | string[]> = {},
): StandInResponse {
  return { status, headers };
}

/** The request body as JSON; undefined when it does not parse. */
export function parseJsonBody(body: Buffer): { ok: boolean; value?: unknown } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** RFC 3339 without fractional seconds, as Go and Rust servers print them. */
export function nowIsoSeconds(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function uuid(): string {
  return randomUUID();
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function header(req: StandInRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Go's strconv.ParseBool true values (OCIS Restore/Purge headers). */
export function goBoolTrue(value: string | undefined): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value ?? '');
}

/** The path split into segments (leading/trailing empty segments kept out), percent-decoded. */
export function segments(path: string): string[] {
  return path
    .split('/')
    .filter(s => s !== '')
    .map(s => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function deepClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Listens and resolves with the bound port. */
export function listen(
  server: Server,
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let onListening = () => {};
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
