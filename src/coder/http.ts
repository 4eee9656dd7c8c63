/**
 * The HTTP layer of the Coder client: URL building, the session-token header, JSON, Coder error
 * bodies, timeouts and retries. `fetch` is injected so msw can intercept it in tests; production
 * passes Node's fetch with an undici dispatcher (which honours HTTP(S)_PROXY / NO_PROXY).
 *
 * Transport limits: redirects are never followed by fetch itself (`redirect: "manual"`); only a
 * redirect to the same origin is followed here, so the session token never reaches another host.
 * Every body is read with a size bound, and a list page with more rows than its `limit` is
 * refused as soon as the extra row arrives: a hostile or broken server ends the run with exit 8,
 * never with gigabytes of memory.
 */
import { z } from "zod";
import { AgentError, ApiShapeError, CoderApiError, ConfigError, ResponseLimitError, UnreachableError } from "../errors.js";
import { DEFAULT_JSON_LIST_LIMITS, JsonLimitError, JsonListStream, MalformedJsonError } from "./json-list-stream.js";
import { errorBodySchema } from "./schemas.js";
import { backoff, defaultSleep, retry, retryAfterMs } from "../util/retry.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Sees every attempt's outcome (status code, or "error") and every retry, for metrics. */
export interface HttpObserver {
  request(method: string, status: string): void;
  retry(method: string, status: string): void;
}

export interface HttpOptions {
  baseUrl: string;
  token: string;
  fetch: FetchLike;
  /** The wall clock in epoch ms (an HTTP-date Retry-After, X-RateLimit-Reset). */
  clockMs: () => number;
  /** A monotonic clock in ms (request durations in the debug log). */
  monotonicMs: () => number;
  /** undici dispatcher passed through to fetch (production only). */
  dispatcher?: unknown;
  timeoutMs?: number;
  /** Retries after the first attempt for idempotent requests. */
  maxRetries?: number;
  /** Base backoff; attempt n waits about base * 2^n with full jitter. */
  backoffBaseMs?: number;
  /** Longest single wait honoured from Retry-After / X-RateLimit-Reset. */
  maxRetryWaitMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  logger?: HttpLogger;
  userAgent?: string;
  signal?: AbortSignal;
  observer?: HttpObserver;
  /** Largest body read for one call (bytes); a list page may also use `maxBytesPerRow` per requested row. */
  maxBodyBytes?: number;
  maxBytesPerRow?: number;
  /** Same-origin redirects followed per request. */
  maxRedirects?: number;
  /** The URL was given without a scheme (https:// assumed): hints on TLS failures say so. */
  schemeAssumed?: boolean;
}

/** Bounds of a real Coder answer, with ample room: a 5,000-row page of heavy workspaces is ~50 MB. */
export const RESPONSE_LIMITS = { maxBodyBytes: 64 * 1024 * 1024, maxBytesPerRow: 64 * 1024, maxRedirects: 5, maxErrorBodyBytes: 64 * 1024 } as const;

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Status codes that are not errors for this call (returned with `undefined` data). */
  allowStatus?: number[];
  /**
   * Not cancelled by the run's abort signal (only by the timeout): a stop POST in flight when
   * SIGINT/SIGTERM arrives must finish and be recorded.
   */
  detached?: boolean;
  /** Reads a successful (2xx) body instead of the default text + JSON.parse. */
  readBody?: (res: Response, pathOnly: string) => Promise<unknown>;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** A network-level failure (refused, reset, timeout, bad JSON on a 2xx): retryable for idempotent calls. */
class TransientError extends Error {
  /** A 2xx whose body was not JSON (rather than a network failure). */
  malformed = false;
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly o: Required<Omit<HttpOptions, "dispatcher" | "logger" | "signal" | "schemeAssumed" | "observer">> & HttpOptions;

  constructor(opts: HttpOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.o = {
      timeoutMs: 30_000,
      maxRetries: 4,
      backoffBaseMs: 250,
      maxRetryWaitMs: 60_000,
      sleep: defaultSleep,
      random: Math.random,
      userAgent: "coder-agents",
      maxBodyBytes: RESPONSE_LIMITS.maxBodyBytes,
      maxBytesPerRow: RESPONSE_LIMITS.maxBytesPerRow,
      maxRedirects: RESPONSE_LIMITS.maxRedirects,
      ...opts,
    };
  }

  /** Request, validate the JSON body with `schema`, and return it. */
  async request<S extends z.ZodType>(method: string, path: string, schema: S, ro: RequestOptions = {}): Promise<z.output<S>> {
    const { status, body } = await this.send(method, path, ro);
    if (ro.allowStatus?.includes(status)) return undefined as z.output<S>;
    return this.validate(method, path, schema, body);
  }

  /**
   * GET one page of a Coder list (`{"<key>": [...], "count": N}`), validating each element as it
   * arrives (see JsonListStream) and handing it to `sink`: the page is never held whole, as text,
   * as a raw object tree or as an array of rows. `sink.begin()` marks the start of each attempt's
   * body (a retried request delivers its rows again). `omit` names element fields cut from the
   * text before it is parsed (e.g. a workspace's `latest_build.resources`: agents, apps, scripts).
   */
  async getList<S extends z.ZodType>(
    path: string,
    key: string,
    itemSchema: S,
    query: Record<string, string | number | undefined>,
    sink: { begin(): void; row(row: z.output<S>): void },
    omit: readonly (readonly string[])[] = [],
  ): Promise<{ rows: number; count: number }> {
    const limit = typeof query.limit === "number" ? query.limit : undefined;
    const { body } = await this.send("GET", path, { query, readBody: (res, p) => this.readList(res, p, key, itemSchema, limit, sink, omit) });
    return body as { rows: number; count: number };
  }

  private async readList<S extends z.ZodType>(
    res: Response,
    path: string,
    key: string,
    itemSchema: S,
    limit: number | undefined,
    sink: { begin(): void; row(row: z.output<S>): void },
    omit: readonly (readonly string[])[],
  ): Promise<{ rows: number; count: number }> {
    sink.begin();
    let rows = 0;
    const parser = new JsonListStream(
      key,
      (value, i) => {
        if (limit !== undefined && i >= limit) {
          throw new ResponseLimitError(`GET ${path}: the server sent more than the ${limit} rows asked for (limit=${limit}); refusing the page`);
        }
        const r = itemSchema.safeParse(value);
        if (!r.success) throw this.shapeError("GET", path, r.error, `${key}[${i}]`);
        rows++;
        sink.row(r.data);
      },
      { ...DEFAULT_JSON_LIST_LIMITS, maxElementChars: Math.min(DEFAULT_JSON_LIST_LIMITS.maxElementChars, this.o.maxBodyBytes) },
      omit,
    );
    const maxBytes = this.o.maxBodyBytes + (limit ?? 0) * this.o.maxBytesPerRow;
    const decoder = new TextDecoder();
    await readChunks(res, maxBytes, (chunk) => parser.push(decoder.decode(chunk, { stream: true })), () => this.tooLarge("GET", path, maxBytes));
    try {
      parser.push(decoder.decode());
    } catch (err) {
      throw this.mapLimit("GET", path, err);
    }
    const envelope = z.object({ [key]: z.array(z.unknown()), count: z.number().int().nonnegative() }).safeParse(parser.end());
    if (!envelope.success) throw this.shapeError("GET", path, envelope.error);
    return { rows, count: envelope.data.count as number };
  }

  private tooLarge(method: string, path: string, maxBytes: number): ResponseLimitError {
    return new ResponseLimitError(`${method} ${path}: the response is larger than ${formatBytes(maxBytes)}, more than any Coder answer; stopped reading it`);
  }

  private mapLimit(method: string, path: string, err: unknown): unknown {
    return err instanceof JsonLimitError ? new ResponseLimitError(`${method} ${path}: the response goes beyond what any Coder answer holds (${err.message}); stopped reading it`) : err;
  }

  /** Request and return the status plus the raw parsed body (for calls with several success shapes). */
  async send(method: string, path: string, ro: RequestOptions = {}): Promise<{ status: number; body: unknown }> {
    const idempotent = method === "GET" || method === "PUT" || method === "HEAD";
    const url = this.url(path, ro.query);
    let attempts = 0;
    try {
      return await retry(
        async (attempt) => {
          attempts = attempt;
          let res: Awaited<ReturnType<HttpClient["once"]>>;
          try {
            res = await this.once(method, url, ro.body, ro.detached, ro.readBody);
          } catch (err) {
            if (err instanceof TransientError) this.o.observer?.request(method, "error");
            throw err;
          }
          this.o.observer?.request(method, String(res.status));
          if (res.status < 400 || ro.allowStatus?.includes(res.status)) return { status: res.status, body: res.body };
          const err = this.apiError(method, path, res.status, res.body);
          err.retryAfterMs = retryAfterMs(res.headers, this.o.clockMs());
          throw err;
        },
        {
          maxAttempts: idempotent ? this.o.maxRetries + 1 : 1,
          retryable: (err) => err instanceof TransientError || (err instanceof CoderApiError && RETRY_STATUS.has(err.status)),
          delayMs: (err, n) =>
            err instanceof CoderApiError && err.retryAfterMs !== undefined
              ? Math.min(err.retryAfterMs, this.o.maxRetryWaitMs)
              : backoff(n, { baseMs: this.o.backoffBaseMs, capMs: 10_000, random: this.o.random }),
          sleep: this.o.sleep,
          ...(this.o.signal ? { signal: this.o.signal } : {}),
          onRetry: (err, n, delay) => {
            const status = err instanceof CoderApiError ? String(err.status) : "error";
            const reason = err instanceof CoderApiError ? `${err.status} ${err.apiMessage}` : (err as Error).message;
            this.o.observer?.retry(method, status);
            this.o.logger?.warn({ method, path, attempt: n, delay_ms: delay, reason }, "retrying Coder API request");
          },
        },
      );
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      if (!idempotent) {
        throw new UnreachableError(`${method} ${path}: ${err.message} (not retried: the request is not idempotent)`, { cause: err });
      }
      // Coder answered every time, but never with JSON (e.g. a proxy's HTML page): a shape problem (exit 8), not unreachable.
      if (err.malformed) {
        throw new ApiShapeError(`${method} ${path}: the response was not valid JSON, ${attempts} times (is --url the Coder deployment?): ${err.message}`, { cause: err });
      }
      throw new UnreachableError(`${method} ${path}: ${err.message} (gave up after ${attempts} attempts)`, { cause: err });
    }
  }

  url(path: string, query?: Record<string, string | number | undefined>): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async once(
    method: string,
    url: string,
    body: unknown,
    detached = false,
    readBody?: RequestOptions["readBody"],
  ): Promise<{ status: number; headers: Headers; body: unknown }> {
    const headers: Record<string, string> = {
      Accept: "application/json",
      "Coder-Session-Token": this.o.token,
      "User-Agent": this.o.userAgent,
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const signal = this.o.signal && !detached ? AbortSignal.any([timeout, this.o.signal]) : timeout;
    const started = this.o.monotonicMs();
    const pathOnly = new URL(url).pathname;
    let res: Response;
    let text = "";
    let streamed: unknown = undefined;
    try {
      const init: RequestInit = { method, headers, signal, redirect: "manual" };
      if (body !== undefined) init.body = JSON.stringify(body);
      if (this.o.dispatcher) (init as { dispatcher?: unknown }).dispatcher = this.o.dispatcher;
      res = await this.fetchFollowingSameOrigin(url, init, pathOnly);
      if (readBody && res.status < 400) streamed = await readBody(res, pathOnly);
      else if (res.status < 400) text = await this.readText(res, method, pathOnly, this.o.maxBodyBytes, true);
      else text = await this.readText(res, method, pathOnly, RESPONSE_LIMITS.maxErrorBodyBytes, false);
    } catch (err) {
      if (err instanceof JsonLimitError) throw this.mapLimit(method, pathOnly, err);
      if (err instanceof AgentError) throw err;
      if (err instanceof MalformedJsonError) {
        const e = new TransientError(`malformed JSON in the response to ${method} ${pathOnly}: ${err.message}`);
        e.malformed = true;
        throw e;
      }
      if (this.o.signal?.aborted && !detached) throw err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (!timeout.aborted && isPlainHttpAnswer(e.cause)) throw this.plainHttpError(url);
      const why = timeout.aborted ? `timed out after ${this.o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new TransientError(`cannot reach ${new URL(url).origin}: ${why}`);
    }
    this.o.logger?.debug({ method, path: pathOnly, status: res.status, ms: Math.round(this.o.monotonicMs() - started) }, "coder api");
    if (streamed !== undefined) return { status: res.status, headers: res.headers, body: streamed };
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.status < 400) {
          const e = new TransientError(`malformed JSON in the response to ${method} ${pathOnly} (${text.length} bytes)`);
          e.malformed = true;
          throw e;
        }
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /**
   * fetch with `redirect: "manual"`, following a redirect only within the configured origin (and
   * at most maxRedirects times). A redirect elsewhere is refused before anything is sent there:
   * the session token goes to the configured origin only.
   */
  private async fetchFollowingSameOrigin(url: string, init: RequestInit, pathOnly: string): Promise<Response> {
    const origin = new URL(url).origin;
    let current = url;
    let req = init;
    for (let hops = 0; ; hops++) {
      const res = await this.o.fetch(current, req);
      if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
      const location = res.headers.get("location");
      res.body?.cancel().catch(() => {});
      const method = req.method ?? "GET";
      if (!location) throw new ApiShapeError(`${method} ${pathOnly}: the server answered ${res.status} (a redirect) without a Location`);
      let target: URL;
      try {
        target = new URL(location, current);
      } catch {
        throw new ApiShapeError(`${method} ${pathOnly}: the server answered ${res.status} with an invalid Location`);
      }
      if (target.origin !== origin) {
        const hint =
          target.hostname === new URL(origin).hostname && target.protocol !== new URL(origin).protocol
            ? `; set --url (or CODER_URL) to ${target.origin}`
            : "; if the deployment moved, set --url (or CODER_URL) to its new address (a login page in front of the API is not supported: use a session token)";
        throw new ConfigError(
          `${method} ${pathOnly}: ${origin} redirected (${res.status}) to another origin, ${target.origin}; the redirect was not followed, so the session token was not sent there${hint}`,
        );
      }
      if (hops >= this.o.maxRedirects) {
        throw new UnreachableError(`${method} ${pathOnly}: more than ${this.o.maxRedirects} redirects; giving up (a redirect loop on ${origin}?)`);
      }
      // 301/302/303 would turn a POST into a GET: never for a build, so only 307/308 keep a non-GET request.
      if (method !== "GET" && method !== "HEAD" && res.status !== 307 && res.status !== 308) {
        throw new ApiShapeError(`${method} ${pathOnly}: the server answered ${res.status} (a redirect that drops the request body); not followed`);
      }
      current = target.toString();
      req = { ...req };
    }
  }

  /** The body as text, at most `maxBytes`; beyond that a ResponseLimitError, or (for an error body) the part read. */
  private async readText(res: Response, method: string, pathOnly: string, maxBytes: number, strict: boolean): Promise<string> {
    const chunks: Uint8Array[] = [];
    let truncated = false;
    await readChunks(
      res,
      maxBytes,
      (chunk) => void chunks.push(chunk),
      () => {
        if (strict) return this.tooLarge(method, pathOnly, maxBytes);
        truncated = true;
        return null;
      },
    );
    const text = Buffer.concat(chunks).toString("utf8");
    return truncated ? text.slice(0, maxBytes) : text;
  }

  private plainHttpError(url: string): ConfigError {
    const u = new URL(url);
    const plain = `http://${u.host}`;
    return new ConfigError(
      this.o.schemeAssumed
        ? `cannot reach ${u.origin}: the server does not speak TLS. The Coder URL was given without a scheme, so https:// was assumed: did you mean ${u.origin} (a TLS server), or ${plain} for a plain-HTTP server?`
        : `cannot reach ${u.origin}: the server does not speak TLS; for a plain-HTTP server use ${plain}`,
    );
  }

  private apiError(method: string, path: string, status: number, body: unknown): CoderApiError {
    const parsed = errorBodySchema.safeParse(body);
    if (parsed.success) {
      return new CoderApiError(status, method, path, parsed.data.message, parsed.data.detail, parsed.data.validations ?? []);
    }
    const raw = typeof body === "string" ? body.slice(0, 200) : body === undefined ? "(empty body)" : jsonPreview(body, 200);
    return new CoderApiError(status, method, path, raw);
  }

  validate<S extends z.ZodType>(method: string, path: string, schema: S, body: unknown): z.output<S> {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    throw this.shapeError(method, path, r.error);
  }

  /** An ApiShapeError naming the first failing field path (under `prefix`, e.g. "workspaces[3]"). */
  private shapeError(method: string, path: string, error: z.ZodError, prefix = ""): ApiShapeError {
    const issue = error.issues[0]!;
    const field = (prefix + issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")).replace(/^\./, "") || "(body)";
    return new ApiShapeError(`${method} ${path}: the Coder API answered with a shape this version does not understand: ${field}: ${issue.message}`);
  }
}

/**
 * Reads a response body chunk by chunk, at most `maxBytes`. On overflow the transfer is cancelled
 * and `onOverflow` decides: an error to throw, or null to keep what was read.
 */
async function readChunks(res: Response, maxBytes: number, onChunk: (chunk: Uint8Array) => void, onOverflow: () => Error | null): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > maxBytes) {
        const keep = value.byteLength - (total - maxBytes);
        const err = onOverflow();
        if (err) throw err;
        if (keep > 0) onChunk(value.subarray(0, keep));
        reader.cancel().catch(() => {});
        return;
      }
      onChunk(value);
    }
  } catch (err) {
    // Stop the transfer without waiting for the stream to wind down.
    reader.cancel().catch(() => {});
    throw err;
  }
}

/** TLS failed because the server answered in plain HTTP (a scheme error, not an outage). */
function isPlainHttpAnswer(cause: { code?: string; message?: string } | undefined): boolean {
  return cause?.code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number|packet length too long/i.test(cause?.message ?? "");
}

/** The first `max` characters of a value as JSON, without recursing into a hostile depth. */
function jsonPreview(value: unknown, max: number): string {
  try {
    return JSON.stringify(value).slice(0, max);
  } catch {
    return "(an unprintable body)";
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : `${Math.round(n / 1024)} KiB`;
}
