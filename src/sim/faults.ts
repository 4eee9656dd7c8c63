/**
 * Fault injection (latency, 5xx, dropped connections, malformed bodies, outages, targeted rules)
 * and Coder's per-user-per-path rate limiter.
 */
import { prng } from "./ids.js";

export interface FaultRule {
  method?: string;
  /** A route pattern such as "POST /api/v2/workspaces/{id}/builds", or just the pattern path. */
  route?: string;
  /** An exact request path. */
  path?: string;
  status?: number;
  body?: unknown;
  /** How many times the rule fires (default: unlimited). */
  count?: number;
  drop?: boolean;
  malformed?: boolean;
  /**
   * Carry the request out (e.g. create the build), then answer with `status`/`body` or `drop`
   * instead of the real answer: a proxy in front of Coder that fails after Coder did the work.
   */
  applied?: boolean;
  /**
   * Carry the request out at once, but hold its answer back this many milliseconds (then send the
   * real answer, or the rule's status/drop with `applied`): a client can be killed, or time out,
   * while its request is in flight and already applied.
   */
  hold_ms?: number;
}

export interface FaultSettings {
  latency_ms: number;
  fault_rate: number;
  drop_rate: number;
  malformed_rate: number;
  methods: string[] | null;
  outage: boolean;
  rules: FaultRule[];
}

export type FaultAction =
  | { kind: "none" }
  | { kind: "status"; status: number; body: unknown }
  | { kind: "drop" }
  | { kind: "malformed" }
  /** Handle the request, wait `holdMs`, then send the real answer (`replace` null) or the replacement. */
  | { kind: "after"; holdMs: number; replace: { kind: "status"; status: number; body: unknown } | { kind: "drop" } | null };

export const emptyFaults = (): FaultSettings => ({
  latency_ms: 0,
  fault_rate: 0,
  drop_rate: 0,
  malformed_rate: 0,
  methods: null,
  outage: false,
  rules: [],
});

export const UNAVAILABLE_BODY = {
  message: "Service temporarily unavailable.",
  detail: "simulated fault injected by the Coder simulator",
};

export class FaultInjector {
  settings: FaultSettings = emptyFaults();
  private readonly rand: () => number;

  constructor(seed = 7) {
    this.rand = prng(seed);
  }

  /** Merges a partial update (the body of POST /__sim/faults); throws on bad values. */
  merge(update: unknown): void {
    if (typeof update !== "object" || update === null || Array.isArray(update)) throw new Error("expected a JSON object");
    const u = update as Record<string, unknown>;
    const known = new Set(["latency_ms", "fault_rate", "drop_rate", "malformed_rate", "methods", "outage", "rules"]);
    for (const k of Object.keys(u)) if (!known.has(k)) throw new Error(`unknown key "${k}"`);
    const num = (k: string, max: number) => {
      const v = u[k];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !(v >= 0) || v > max) throw new Error(`${k} must be a number between 0 and ${max}`);
      return v;
    };
    const s = this.settings;
    s.latency_ms = num("latency_ms", 600_000) ?? s.latency_ms;
    s.fault_rate = num("fault_rate", 1) ?? s.fault_rate;
    s.drop_rate = num("drop_rate", 1) ?? s.drop_rate;
    s.malformed_rate = num("malformed_rate", 1) ?? s.malformed_rate;
    if (u["methods"] !== undefined) {
      const m = u["methods"];
      if (m !== null && (!Array.isArray(m) || m.some((x) => typeof x !== "string"))) throw new Error("methods must be a list of HTTP methods");
      s.methods = m === null ? null : (m as string[]).map((x) => x.toUpperCase());
    }
    if (u["outage"] !== undefined) {
      if (typeof u["outage"] !== "boolean") throw new Error("outage must be a boolean");
      s.outage = u["outage"];
    }
    if (u["rules"] !== undefined) {
      if (!Array.isArray(u["rules"])) throw new Error("rules must be a list");
      for (const r of u["rules"] as unknown[]) s.rules.push(validateRule(r));
    }
  }

  clear(): void {
    this.settings = emptyFaults();
  }

  /** Decides the fault for one /api/v2 request (rules first, then outage, then the dice). */
  decide(method: string, path: string, pattern: string): FaultAction {
    const s = this.settings;
    for (const rule of s.rules) {
      if (!ruleMatches(rule, method, path, pattern)) continue;
      if (rule.count !== undefined) {
        if (rule.count <= 0) continue;
        rule.count--;
      }
      if (rule.applied || rule.hold_ms !== undefined) {
        const replace = !rule.applied ? null : rule.drop ? { kind: "drop" as const } : rule.status !== undefined ? { kind: "status" as const, status: rule.status, body: rule.body ?? UNAVAILABLE_BODY } : null;
        return { kind: "after", holdMs: rule.hold_ms ?? 0, replace };
      }
      if (rule.drop) return { kind: "drop" };
      if (rule.malformed) return { kind: "malformed" };
      return { kind: "status", status: rule.status ?? 503, body: rule.body ?? UNAVAILABLE_BODY };
    }
    if (s.outage) return { kind: "status", status: 503, body: UNAVAILABLE_BODY };
    if (s.methods !== null && !s.methods.includes(method)) return { kind: "none" };
    if (s.drop_rate > 0 && this.rand() < s.drop_rate) return { kind: "drop" };
    if (s.fault_rate > 0 && this.rand() < s.fault_rate) return { kind: "status", status: 503, body: UNAVAILABLE_BODY };
    if (s.malformed_rate > 0 && this.rand() < s.malformed_rate) return { kind: "malformed" };
    return { kind: "none" };
  }
}

function validateRule(r: unknown): FaultRule {
  if (typeof r !== "object" || r === null) throw new Error("each rule must be an object");
  const rule = r as Record<string, unknown>;
  const known = new Set(["method", "route", "path", "status", "body", "count", "drop", "malformed", "applied", "hold_ms"]);
  for (const k of Object.keys(rule)) if (!known.has(k)) throw new Error(`rules: unknown key "${k}"`);
  if (rule["route"] === undefined && rule["path"] === undefined) throw new Error("a rule needs a route or a path");
  if (rule["status"] !== undefined && (typeof rule["status"] !== "number" || rule["status"] < 100 || rule["status"] > 599)) {
    throw new Error("rule status must be an HTTP status code");
  }
  if (rule["applied"] !== undefined && typeof rule["applied"] !== "boolean") throw new Error("rule applied must be a boolean");
  if (rule["hold_ms"] !== undefined && (typeof rule["hold_ms"] !== "number" || !(rule["hold_ms"] >= 0) || rule["hold_ms"] > 600_000)) {
    throw new Error("rule hold_ms must be a number between 0 and 600000");
  }
  if (rule["applied"] === true && rule["malformed"] === true) throw new Error("rule applied cannot be combined with malformed");
  if (rule["applied"] === true && rule["status"] === undefined && rule["drop"] !== true) throw new Error("rule applied needs a status or drop to answer with");
  if (rule["hold_ms"] !== undefined && rule["applied"] !== true && (rule["status"] !== undefined || rule["drop"] !== undefined || rule["malformed"] !== undefined)) {
    throw new Error("rule hold_ms with a status, drop or malformed needs applied: true (the request is carried out first)");
  }
  return rule as FaultRule;
}

function ruleMatches(rule: FaultRule, method: string, path: string, pattern: string): boolean {
  let ruleMethod = rule.method?.toUpperCase();
  if (rule.route !== undefined) {
    let route = rule.route.trim();
    const sp = route.indexOf(" ");
    if (sp > 0) {
      ruleMethod = ruleMethod ?? route.slice(0, sp).toUpperCase();
      route = route.slice(sp + 1).trim();
    }
    if (route !== pattern.slice(pattern.indexOf(" ") + 1)) return false;
  }
  if (rule.path !== undefined && rule.path !== path) return false;
  return ruleMethod === undefined || ruleMethod === method;
}

/** Fixed one-minute windows per key (user id or client address) and path, like httprate. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    public limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the header values and whether it is allowed. */
  hit(key: string): { allowed: boolean; limit: number; remaining: number; resetSec: number; retryAfterSec: number } {
    const now = this.now();
    const start = Math.floor(now / 60_000) * 60_000;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    const end = start + 60_000;
    return {
      allowed: w.count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - w.count),
      resetSec: Math.floor(end / 1000),
      retryAfterSec: Math.max(1, Math.ceil((end - now) / 1000)),
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
