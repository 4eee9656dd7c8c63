/**
 * The HTTP layer of the Coder client: URL building, the session-token header, JSON, Coder error
 * bodies, timeouts and retries. `fetch` is injected so msw can intercept it in tests; production
 * passes Node's fetch with an undici Agent as the dispatcher.
 */
import { z } from "zod";
import { AgentError, ApiShapeError, CoderApiError, UnreachableError } from "../errors.js";
import { JsonListStream, MalformedJsonError } from "./json-list-stream.js";
import { errorBodySchema } from "./schemas.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HttpOptions {
  baseUrl: string;
  token: string;
  fetch: FetchLike;
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
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Status codes that are not errors for this call (returned with `undefined` data). */
  allowStatus?: number[];
  /**
   * Not cancelled by the run's abort signal (only by the timeout): a stop POST in flight when
   * SIGINT/SIGTERM arrives must finish and be recorded (SPEC §8.2).
   */
  detached?: boolean;
  /** Reads a successful (2xx) body instead of the default text + JSON.parse. */
  readBody?: (res: Response, pathOnly: string) => Promise<unknown>;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** A network-level failure (refused, reset, timeout, bad JSON on a 2xx): retryable for idempotent calls. */
class TransientError extends Error {
  /** A 2xx whose body was not JSON (rather than a network failure). */
  malformed = false;
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly o: Required<Omit<HttpOptions, "dispatcher" | "logger" | "signal">> & HttpOptions;

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
   * arrives (see JsonListStream): the page is never held whole as text or as a raw object tree.
   */
  async getList<S extends z.ZodType>(
    path: string,
    key: string,
    itemSchema: S,
    query: Record<string, string | number | undefined>,
  ): Promise<{ items: z.output<S>[]; count: number }> {
    const { body } = await this.send("GET", path, { query, readBody: (res, p) => this.readList(res, p, key, itemSchema) });
    return body as { items: z.output<S>[]; count: number };
  }

  private async readList<S extends z.ZodType>(res: Response, path: string, key: string, itemSchema: S): Promise<{ items: z.output<S>[]; count: number }> {
    const items: z.output<S>[] = [];
    const parser = new JsonListStream(key, (value, i) => {
      const r = itemSchema.safeParse(value);
      if (!r.success) throw this.shapeError("GET", path, r.error, `${key}[${i}]`);
      items.push(r.data);
    });
    if (!res.body) throw new MalformedJsonError("empty body");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
    } catch (err) {
      // Stop the transfer without waiting for the stream to wind down.
      reader.cancel().catch(() => {});
      throw err;
    }
    const envelope = z.object({ [key]: z.array(z.unknown()), count: z.number().int().min(0) }).safeParse(parser.end());
    if (!envelope.success) throw this.shapeError("GET", path, envelope.error);
    return { items, count: envelope.data.count as number };
  }

  /** Request and return the status plus the raw parsed body (for calls with several success shapes). */
  async send(method: string, path: string, ro: RequestOptions = {}): Promise<{ status: number; body: unknown }> {
    const idempotent = method === "GET" || method === "PUT" || method === "HEAD";
    const url = this.url(path, ro.query);
    let attempt = 0;
    for (;;) {
      let waitMs: number | undefined;
      let lastReason: string;
      try {
        const res = await this.once(method, url, ro.body, ro.detached, ro.readBody);
        if (res.status < 400 || ro.allowStatus?.includes(res.status)) {
          return { status: res.status, body: res.body };
        }
        const err = this.apiError(method, path, res.status, res.body);
        err.retryAfterMs = this.retryAfter(res.headers);
        if (!idempotent || !RETRY_STATUS.has(res.status) || attempt >= this.o.maxRetries) throw err;
        waitMs = this.retryAfter(res.headers);
        lastReason = `${res.status} ${err.apiMessage}`;
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        if (!idempotent) {
          throw new UnreachableError(`${method} ${path}: ${err.message} (not retried: the request is not idempotent)`, { cause: err });
        }
        if (attempt >= this.o.maxRetries) {
          // Coder answered every time, but never with JSON (e.g. a proxy's HTML page): a shape problem (exit 8), not unreachable.
          if (err.malformed) {
            throw new ApiShapeError(`${method} ${path}: the response was not valid JSON, ${attempt + 1} times (is --url the Coder deployment?): ${err.message}`, { cause: err });
          }
          throw new UnreachableError(`${method} ${path}: ${err.message} (gave up after ${attempt + 1} attempts)`, { cause: err });
        }
        lastReason = err.message;
      }
      const backoff = Math.min(this.o.backoffBaseMs * 2 ** attempt, 10_000);
      const delay = waitMs !== undefined ? Math.min(waitMs, this.o.maxRetryWaitMs) : Math.round(this.o.random() * backoff + backoff / 2);
      attempt++;
      this.o.logger?.warn({ method, path, attempt, delay_ms: delay, reason: lastReason }, "retrying Coder API request");
      await this.o.sleep(delay, this.o.signal);
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
    const started = performance.now();
    const pathOnly = new URL(url).pathname;
    let res: Response;
    let text = "";
    let streamed: unknown = undefined;
    try {
      const init: RequestInit = { method, headers, signal };
      if (body !== undefined) init.body = JSON.stringify(body);
      if (this.o.dispatcher) (init as { dispatcher?: unknown }).dispatcher = this.o.dispatcher;
      res = await this.o.fetch(url, init);
      if (readBody && res.status < 400) streamed = await readBody(res, pathOnly);
      else text = await res.text();
    } catch (err) {
      if (err instanceof AgentError) throw err;
      if (err instanceof MalformedJsonError) {
        const e = new TransientError(`malformed JSON in the response to ${method} ${pathOnly}: ${err.message}`);
        e.malformed = true;
        throw e;
      }
      if (this.o.signal?.aborted && !detached) throw err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = timeout.aborted ? `timed out after ${this.o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new TransientError(`cannot reach ${new URL(url).origin}: ${why}`);
    }
    this.o.logger?.debug({ method, path: pathOnly, status: res.status, ms: Math.round(performance.now() - started) }, "coder api");
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

  private apiError(method: string, path: string, status: number, body: unknown): CoderApiError {
    const parsed = errorBodySchema.safeParse(body);
    if (parsed.success) {
      return new CoderApiError(status, method, path, parsed.data.message, parsed.data.detail, parsed.data.validations ?? []);
    }
    const raw = typeof body === "string" ? body.slice(0, 200) : body === undefined ? "(empty body)" : JSON.stringify(body).slice(0, 200);
    return new CoderApiError(status, method, path, raw);
  }

  private retryAfter(h: Headers): number | undefined {
    const ra = h.get("retry-after");
    if (ra) {
      const secs = Number(ra);
      if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
      const at = Date.parse(ra);
      if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
    }
    const reset = h.get("x-ratelimit-reset");
    if (reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - Date.now());
    return undefined;
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
