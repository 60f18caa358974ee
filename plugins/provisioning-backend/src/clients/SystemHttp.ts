import { ProvisioningStep } from '@internal/plugin-provisioning-common';

/** How one system is called (config `provisioning.<system>`). */
export interface SystemLimits {
  /** Per request, including the body (ms). */
  timeoutMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second (absent: no limit). */
  requestsPerSecond?: number;
  /**
   * A `429`/`503` with `Retry-After` is waited out and retried while the
   * total wait stays within this (ms); longer, the call fails with the
   * retry time, and the step's next attempt is not before it.
   */
  maxRetryAfterWaitMs: number;
}

export const DEFAULT_LIMITS: SystemLimits = {
  timeoutMs: 10_000,
  concurrency: 8,
  maxRetryAfterWaitMs: 30_000,
};

/**
 * A failed call to an external system. The message names the system, the
 * call and the status (or the network failure), e.g.
 * `stalwart: create domain acme.example: HTTP 503 Service Unavailable: …`.
 */
export class SystemError extends Error {
  readonly name = 'SystemError';
  constructor(
    readonly system: ProvisioningStep,
    readonly call: string,
    /** What went wrong, without the system and call. */
    readonly detail: string,
    readonly status?: number,
    /** When the system asked to be called again (epoch ms), from Retry-After. */
    readonly retryAt?: number,
  ) {
    super(`${system}: ${call}: ${detail}`);
  }
}

/** Reads a `Retry-After` header (seconds or an HTTP date) as epoch ms. */
export function retryAfterMs(
  header: string | null,
  now: number,
): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return now + Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(now, date);
}

const sleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, Math.max(0, ms)));

/**
 * The gate in front of one system: at most `concurrency` requests in flight,
 * starts at least 1/`requestsPerSecond` apart, and none before a `Retry-After` the
 * system gave (for every caller, not only the one that was told).
 */
export class SystemLimiter {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  /** The earliest start of the next request (the rate limit). */
  private nextStart = 0;
  private notBefore = 0;

  constructor(private readonly limits: SystemLimits) {}

  /** No request starts before this (epoch ms). */
  pauseUntil(at: number) {
    this.notBefore = Math.max(this.notBefore, at);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limits.concurrency) {
      await new Promise<void>(resolve => this.waiting.push(resolve));
    } else {
      this.inFlight += 1;
    }
    try {
      await this.awaitStart();
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }

  /**
   * Waits until this request may start: not before a Retry-After, and with
   * `requestsPerSecond`, on a schedule 1/rate apart that follows the actual
   * starts: requests that wake late (a busy event loop) go one by one, never
   * in a burst past the system's own limit.
   */
  private async awaitStart() {
    const rate = this.limits.requestsPerSecond;
    for (;;) {
      const now = Date.now();
      const at = Math.max(this.notBefore, rate ? this.nextStart : 0);
      if (now >= at) {
        if (rate) {
          // timers fire a little late: keep the schedule (catching up by at
          // most half an interval), unless the system was idle
          const interval = 1000 / rate;
          this.nextStart =
            now - this.nextStart > interval
              ? now + interval
              : Math.max(this.nextStart + interval, now + interval / 2);
        }
        return;
      }
      await sleep(at - now);
    }
  }
}

/** One request, as `SystemHttp.request` takes it. */
export interface SystemRequest {
  /** For people: what the call does, e.g. `create group acme`. */
  call: string;
  method?: string;
  /** Absolute, or relative to the system's base URL. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Statuses that are answers, not failures (e.g. 404 on a lookup). */
  expect?: number[];
}

/** An answer of {@link SystemHttp.request}. */
export interface SystemResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

/**
 * The HTTP side of one system's client: the base URL, the limiter, request
 * timeouts, `Retry-After`, and errors that say what failed. Every client
 * (Authentik, Stalwart, OCIS, the OCIS token endpoint) calls through one.
 */
export class SystemHttp {
  readonly limiter: SystemLimiter;
  /** Requests sent (for benchmarks and tests). */
  calls = 0;

  constructor(
    readonly system: ProvisioningStep,
    readonly baseUrl: string,
    readonly limits: SystemLimits,
    private readonly fetchImpl: typeof fetch = fetch,
    /** Shared with another client of the same server (e.g. a token endpoint on Authentik). */
    limiter?: SystemLimiter,
  ) {
    this.limiter = limiter ?? new SystemLimiter(limits);
  }

  url(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${this.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  /**
   * Sends one request through the limiter. A `429`/`503` with `Retry-After`
   * pauses the whole system until then and is retried while the total wait
   * stays within `maxRetryAfterWaitMs`. Any other status not in 2xx or
   * `expect`, a timeout or a network failure throws a {@link SystemError}.
   */
  async request(req: SystemRequest): Promise<SystemResponse> {
    const deadline = Date.now() + this.limits.maxRetryAfterWaitMs;
    for (;;) {
      let retryAt: number | undefined;
      const res = await this.limiter.run(async () => {
        const answer = await this.send(req);
        if (answer.status === 429 || answer.status === 503) {
          retryAt = retryAfterMs(answer.headers.get('retry-after'), Date.now());
          // before the next caller is let through
          if (retryAt !== undefined) this.limiter.pauseUntil(retryAt);
        }
        return answer;
      });
      if (res.status >= 200 && res.status < 300) return res;
      if (req.expect?.includes(res.status)) return res;
      if (retryAt !== undefined && retryAt <= deadline) continue;
      throw new SystemError(
        this.system,
        req.call,
        `HTTP ${res.status}${describeBody(res.text)}`,
        res.status,
        retryAt,
      );
    }
  }

  /** A `fetch` through the limiter, timeouts and Retry-After (for generated API clients). */
  readonly fetch: typeof fetch = async (input, init) => {
    let url: string;
    if (typeof input === 'string') url = input;
    else if (input instanceof URL) url = input.href;
    else url = input.url;
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const res = await this.request({
      call: `${method} ${new URL(url).pathname}`,
      method,
      path: url,
      headers,
      body: typeof init?.body === 'string' ? init.body : undefined,
      expect: [400, 401, 403, 404, 409],
    });
    return new Response(res.text || null, {
      status: res.status,
      headers: res.headers,
    });
  };

  private async send(req: SystemRequest): Promise<SystemResponse> {
    this.calls += 1;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.url(req.path), {
        method: req.method ?? 'GET',
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(this.limits.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new SystemError(this.system, req.call, networkDetail(error, this));
    }
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: <T>() => {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new SystemError(
            this.system,
            req.call,
            `HTTP ${response.status}: the answer is not JSON${describeBody(
              text,
            )}`,
            response.status,
          );
        }
      },
    };
  }
}

function networkDetail(error: unknown, http: SystemHttp): string {
  const e = error as { name?: string; message?: string; cause?: unknown };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `no answer within ${http.limits.timeoutMs} ms`;
  }
  const cause = e.cause as { code?: string; message?: string } | undefined;
  const code = cause?.code ?? cause?.message ?? e.message ?? String(error);
  return `cannot reach ${http.baseUrl} (${code})`;
}

/** `: <first 300 characters of the body>`, or nothing for an empty body. */
function describeBody(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return '';
  return `: ${flat.length > 300 ? `${flat.slice(0, 300)}…` : flat}`;
}
