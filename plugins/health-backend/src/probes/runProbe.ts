import { ProbeResult } from '@internal/plugin-health-common';
import net from 'node:net';
import {
  DEFAULT_BAD_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WARN_MS,
  ProbeSpec,
} from './types';

export interface ProbeOptions {
  /** Overrides the probe's own timeoutMs. */
  timeoutMs?: number;
  /** For `postgres` probes: pings the portal's own database. */
  pingDatabase?: () => Promise<void>;
}

class ProbeTimeout extends Error {}

interface ErrorLike {
  message?: string;
  code?: string;
  cause?: unknown;
  errors?: unknown[];
}

// duck-typed: errors from fetch (undici) may come from another realm
const asError = (e: unknown): ErrorLike | undefined =>
  e && typeof e === 'object' ? (e as ErrorLike) : undefined;

const errorText = (e: unknown): string => {
  const err = asError(e);
  if (!err) return String(e);
  // fetch wraps the network error ("fetch failed"): name the cause
  const cause = asError(err.cause);
  const inner = cause?.errors?.length ? asError(cause.errors[0]) : undefined;
  const detail = cause?.message ? cause : inner;
  const code = cause?.code ?? inner?.code;
  if (detail?.message) {
    return code && !detail.message.includes(code)
      ? `${code}: ${detail.message}`
      : detail.message;
  }
  if (code) return code;
  return err.message || String(e);
};

function tcpTarget(target: string): { host: string; port: number } {
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  const port = Number(url.port);
  if (!url.hostname || !port) {
    throw new Error(`tcp target must be host:port, got ${target}`);
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Connects, then closes; rejects on refusal, errors and abort. */
function tcpConnect(target: string, signal: AbortSignal): Promise<void> {
  const { host, port } = tcpTarget(target);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const onAbort = () => {
      socket.destroy();
      reject(new ProbeTimeout());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve();
    });
    socket.once('error', err => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    });
  });
}

function httpUrl(spec: ProbeSpec): string {
  const url = new URL(spec.target!);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`http target must be an http(s) URL, got ${spec.target}`);
  }
  if (spec.path) {
    url.pathname =
      url.pathname.replace(/\/$/, '') +
      (spec.path.startsWith('/') ? spec.path : `/${spec.path}`);
  }
  return url.toString();
}

/** Resolves with an error text for an unexpected answer, undefined if fine. */
async function httpCheck(
  spec: ProbeSpec,
  signal: AbortSignal,
): Promise<string | undefined> {
  const res = await fetch(httpUrl(spec), {
    method: spec.method ?? 'GET',
    redirect: 'manual',
    signal,
    headers: { 'user-agent': 'dezky-health-probe' },
  });
  const expected = spec.expectStatus
    ? res.status === spec.expectStatus
    : res.status >= 200 && res.status < 400;
  if (!expected) {
    await res.body?.cancel().catch(() => {});
    return `unexpected status ${res.status}${
      spec.expectStatus ? ` (expected ${spec.expectStatus})` : ''
    }`;
  }
  if (spec.bodyMatch !== undefined) {
    const body = await res.text();
    if (!body.includes(spec.bodyMatch)) {
      return `body does not contain "${spec.bodyMatch}"`;
    }
  } else {
    await res.body?.cancel().catch(() => {});
  }
  return undefined;
}

/** ok ≤ warnMs < warn ≤ badMs < bad. */
export function classify(
  latencyMs: number,
  spec: Pick<ProbeSpec, 'warnMs' | 'badMs'>,
): ProbeResult['status'] {
  const warnMs = spec.warnMs ?? DEFAULT_WARN_MS;
  const badMs = spec.badMs ?? DEFAULT_BAD_MS;
  if (latencyMs <= warnMs) return 'ok';
  if (latencyMs <= badMs) return 'warn';
  return 'bad';
}

/**
 * Runs one probe, bounded by its timeout (default 1.5 s): never rejects,
 * never takes (much) longer than the timeout.
 */
export async function runProbe(
  spec: ProbeSpec,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ProbeTimeout());
    }, timeoutMs);
  });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    let check: Promise<string | undefined>;
    switch (spec.type) {
      case 'tcp':
        check = tcpConnect(spec.target ?? '', controller.signal).then(
          () => undefined,
        );
        break;
      case 'http':
        check = httpCheck(spec, controller.signal);
        break;
      case 'postgres':
        if (!options.pingDatabase) {
          throw new Error('no database to ping');
        }
        check = options.pingDatabase().then(() => undefined);
        break;
      default:
        throw new Error(`unknown probe type ${(spec as ProbeSpec).type}`);
    }
    check.catch(() => {}); // may settle after the deadline
    const error = await Promise.race([check, deadline]);
    const latencyMs = elapsed();
    if (error) return { status: 'bad', latencyMs, error };
    const status = classify(latencyMs, spec);
    return status === 'bad'
      ? { status, latencyMs, error: `slow: ${latencyMs} ms` }
      : { status, latencyMs };
  } catch (e) {
    if (e instanceof ProbeTimeout || controller.signal.aborted) {
      return {
        status: 'bad',
        latencyMs: elapsed(),
        error: `timeout after ${timeoutMs} ms`,
      };
    }
    return { status: 'bad', latencyMs: elapsed(), error: errorText(e) };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Runs the probes in parallel; a round takes about the longest timeout. */
export function runProbes(
  specs: ProbeSpec[],
  options: ProbeOptions = {},
): Promise<ProbeResult[]> {
  return Promise.all(specs.map(spec => runProbe(spec, options)));
}
