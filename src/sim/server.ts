/**
 * startSimulator: a fake Coder deployment over real loopback HTTP. Coder's paths, JSON
 * shapes, status codes and error bodies; token auth; owner/member visibility; licensing;
 * per-user-per-path rate limiting; fault injection; request statistics; a controllable clock.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type ControlCtx, Stats, controlRouter } from "./control.js";
import { FaultInjector, type FaultSettings } from "./faults.js";
import { RateLimiter } from "./faults.js";
import { type Reply, err, readBody, sendJson } from "./http.js";
import type { User } from "./model.js";
import { QueryError } from "./query.js";
import { type ApiRoute, type Ctx, FEATURE_MESSAGES, apiRouter } from "./routes.js";
import type { Scenario } from "./scenario.js";
import { type Store, buildStore } from "./store.js";
import { calibrateBulk } from "./render.js";
import { Churn, LifecycleExecutor } from "./lifecycle.js";
import { SimClock, resolveTime } from "./time.js";

export interface SimulatorOptions {
  scenario: Scenario;
  /** 0 (default) = a random free port. */
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Probability (0..1) of a 503 on each /api/v2 request. */
  faultRate?: number;
  /** Requests per user per path per minute; overrides the scenario; 0 disables. */
  rateLimit?: number;
  /** How the rate limit is keyed (overrides the scenario's deployment.rate_limit_mode). */
  rateLimitMode?: RateLimitMode;
  frozenClock?: boolean;
  /** Overrides the scenario clock (ISO instant). */
  clock?: string;
  buildDelayMs?: number;
  /** Run the lifecycle executor (overrides deployment.lifecycle_executor). */
  lifecycle?: boolean;
  /** Workspace start/stop changes per second (overrides deployment.churn_per_second; 0 = off). */
  churnPerSecond?: number;
  /** About how many JSON bytes a running workspace renders to (overrides deployment.workspace_bytes; 0 = no resources). */
  workspaceBytes?: number;
}

export type RateLimitMode = "user" | "ip-path";

export interface SimulatorStats {
  total: number;
  requests: Record<string, number>;
}

export interface Simulator {
  url: string;
  /** username → session token */
  tokens: Record<string, string>;
  /** Token of the first user with the owner role. */
  ownerToken: string;
  ownerUsername: string;
  close(): Promise<void>;
  stats(): SimulatorStats;
  resetStats(): void;
  now(): Date;
  /** Merges fault settings (same body as POST /__sim/faults). */
  setFaults(update: Partial<FaultSettings>): void;
  clearFaults(): void;
  /** The in-memory store, for in-process assertions. */
  readonly store: Store;
}

const DEFAULT_BUILD_DELAY_MS = 300;
const UNAUTHORIZED = "You are signed out or your session has expired. Please sign in again to continue.";

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const cookie = req.headers.cookie ?? "";
  for (const part of cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === "coder_session_token" && v.length) return v.join("=");
  }
  const q = url.searchParams.get("coder_session_token");
  if (q) return q;
  const h = req.headers["coder-session-token"];
  return Array.isArray(h) ? h[0] : h;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const { scenario } = opts;
  const start = opts.clock ? resolveTime(opts.clock, Date.now()) : scenario.clock ? resolveTime(scenario.clock, Date.now()) : Date.now();
  const clock = new SimClock(start, opts.frozenClock ?? false);
  const buildDelay = opts.buildDelayMs ?? scenario.deployment.build_delay_ms ?? DEFAULT_BUILD_DELAY_MS;
  const store = buildStore(scenario, clock, buildDelay, start);
  calibrateBulk(store, opts.workspaceBytes ?? scenario.deployment.workspace_bytes);
  const lifecycle = new LifecycleExecutor(store, opts.lifecycle ?? scenario.deployment.lifecycle_executor);
  const churn = new Churn(store, opts.churnPerSecond ?? scenario.deployment.churn_per_second, scenario.generate?.seed ?? 7);
  const advance = () => {
    churn.catchUp();
    lifecycle.catchUp();
  };
  // Unattended, the executor still ticks when the clock runs (checked each real second).
  const lifecycleTimer = setInterval(() => lifecycle.catchUp(), 1000);
  lifecycleTimer.unref();
  const stats = new Stats();
  const faults = new FaultInjector(scenario.generate?.seed ?? 7);
  if (opts.latencyMs || opts.faultRate) faults.merge({ latency_ms: opts.latencyMs ?? 0, fault_rate: opts.faultRate ?? 0 });
  const limiter = new RateLimiter(opts.rateLimit ?? scenario.deployment.rate_limit_per_minute);
  const rateLimitMode: RateLimitMode = opts.rateLimitMode ?? scenario.deployment.rate_limit_mode;
  const api = apiRouter();
  const control = controlRouter();
  const versionHeader = { "X-Coder-Build-Version": store.deployment.version };
  const sockets = new Set<Socket>();
  let baseUrl = "";

  const handleControl = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const m = control.match(req.method ?? "GET", url.pathname);
    if (!m.handler) {
      sendJson(res, err(404, "Route not found."), versionHeader);
      return;
    }
    advance();
    const ctx: ControlCtx = { store, stats, faults, lifecycle, churn, params: m.params, body: () => readBody(req) };
    sendJson(res, await m.handler(ctx), versionHeader);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const method = req.method ?? "GET";
    const m = api.match(method, url.pathname);
    stats.count(m.pattern);
    advance();
    store.settle();
    const latency = faults.settings.latency_ms;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const fault = faults.decide(method, url.pathname, m.pattern);
    if (fault.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault.kind === "status") {
      sendJson(res, { status: fault.status, body: fault.body }, versionHeader);
      return;
    }
    const malformed = fault.kind === "malformed";
    const reply = (r: Reply, extra: Record<string, string> = {}) => sendJson(res, r, { ...versionHeader, ...extra }, malformed);
    // An "after" fault: the request is carried out, then its answer is held back and/or replaced.
    const send =
      fault.kind !== "after"
        ? reply
        : async (r: Reply, extra: Record<string, string> = {}) => {
            if (fault.holdMs > 0) await new Promise((done) => setTimeout(done, fault.holdMs));
            if (res.destroyed || req.socket.destroyed) return;
            if (fault.replace?.kind === "drop") req.socket.destroy();
            else if (fault.replace) sendJson(res, { status: fault.replace.status, body: fault.replace.body }, versionHeader);
            else await reply(r, extra);
          };

    const route: ApiRoute | null = m.handler;
    // Enterprise-feature middlewares run before authentication in Coder.
    if (route?.feature && !store.deployment.licensed) {
      send(err(403, FEATURE_MESSAGES[route.feature]));
      return;
    }
    const token = tokenOf(req, url);
    const user: User | undefined = token ? store.userByToken.get(token) : undefined;

    const rl: Record<string, string> = {};
    if (limiter.limit > 0) {
      // ip-path (Coder v2.15–v2.28, coder/coder#20857): the limiter ran before the API key was
      // read, so the key is the client address and the owner bypass header does nothing.
      const byUser = rateLimitMode === "user";
      const bypass = byUser && String(req.headers["x-coder-bypass-ratelimit"] ?? "").toLowerCase() === "true";
      if (bypass && !(user && store.isOwner(user))) {
        send(err(428, '"X-Coder-Bypass-Ratelimit" header can only be specified with the \'owner\' role.'));
        return;
      }
      if (!bypass) {
        const who = byUser ? (user?.id ?? req.socket.remoteAddress ?? "?") : (req.socket.remoteAddress ?? "?");
        const key = `${who} ${url.pathname}`;
        const hit = limiter.hit(key);
        rl["X-RateLimit-Limit"] = String(hit.limit);
        rl["X-RateLimit-Remaining"] = String(hit.remaining);
        rl["X-RateLimit-Reset"] = String(hit.resetSec);
        if (!hit.allowed) {
          send(err(429, `You've been rate limited for sending more than ${limiter.limit} requests in 1m0s.`), {
            ...rl,
            "Retry-After": String(hit.retryAfterSec),
          });
          return;
        }
      }
    }

    if (!route) {
      send(m.methodMismatch ? err(405, "Method not allowed.") : err(404, "Route not found."), rl);
      return;
    }
    if (route.auth) {
      if (!token) {
        send(err(401, UNAUTHORIZED, 'Cookie "coder_session_token" or query parameter must be provided.'), rl);
        return;
      }
      if (!user) {
        send(err(401, UNAUTHORIZED, "API key is invalid."), rl);
        return;
      }
      if (user.status === "suspended") {
        send(err(401, `User is not active (status = "${user.status}"). Contact an admin to reactivate your account.`), rl);
        return;
      }
    }
    const ctx: Ctx = {
      store,
      url,
      params: m.params,
      user: user ?? (undefined as unknown as User),
      body: () => readBody(req),
      baseUrl,
    };
    try {
      await send(await route.handler(ctx), rl);
    } catch (e) {
      if (e instanceof QueryError) send(err(400, e.message, undefined, e.validations), rl);
      else send(err(500, "Internal error.", (e as Error).message), rl);
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sim.invalid");
    const handler = url.pathname.startsWith("/__sim/") ? handleControl : handleApi;
    handler(req, res, url).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, err(500, "Internal error.", (e as Error).message), versionHeader);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;

  const tokens: Record<string, string> = {};
  for (const u of store.users) tokens[u.username] = u.token;
  const owner = store.users.find((u) => store.isOwner(u));
  if (!owner) throw new Error("no owner user");

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl,
    tokens,
    ownerToken: owner.token,
    ownerUsername: owner.username,
    store,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    now: () => new Date(clock.now()),
    setFaults: (update) => faults.merge(update),
    clearFaults: () => faults.clear(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        churn.stop();
        clearInterval(lifecycleTimer);
        store.clearInflight();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
