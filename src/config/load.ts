/**
 * Finds, reads, merges and validates agents_config.json. Pure apart from the injected
 * file reader: the composition root passes env, cwd and fs access in.
 */
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { DEFAULT_CONFIG, configSchema, type AgentsConfig } from "./schema.js";
import { loadHolidayCalendars } from "./ics.js";
import type { HolidayCalendar } from "../domain/policy/types.js";

export interface ConfigSources {
  /** `--config PATH` */
  flagPath?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Returns the file's text, or null when it does not exist. Throws on other read errors. */
  readFile(path: string): string | null;
  /** --allow-unknown-config: unknown keys are warnings instead of a configuration error (exit 2). */
  allowUnknown?: boolean;
}

export interface LoadedConfig {
  config: AgentsConfig;
  /** The file read, or null when defaults were used. */
  path: string | null;
  /** The directory relative paths in the file resolve against: the file's, or the working directory without one. */
  dir: string;
  /** Human-readable warnings (unknown keys under --allow-unknown-config). */
  warnings: string[];
  /** How the file was found: --config, CODER_AGENTS_CONFIG, the working directory or XDG; null for defaults. */
  pathSource: ConfigPathSource | null;
  /** The file's own (parsed) content, before defaults and environment overrides. */
  raw: Record<string, unknown>;
  /** The environment overrides applied on top of the file. */
  envOverrides: Record<string, unknown>;
  /** sha256 of the effective configuration, recorded in the journal. */
  hash: string;
  /** The policies' ICS holiday files, parsed, by the path as written in the config. */
  holidayCalendars: Map<string, HolidayCalendar>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep-merge `over` onto `base`: objects merge key by key, everything else replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Candidate paths in search order: --config, CODER_AGENTS_CONFIG, ./agents_config.json, XDG. */
export type ConfigPathSource = "--config" | "CODER_AGENTS_CONFIG" | "working directory" | "XDG_CONFIG_HOME";

export function configCandidates(s: ConfigSources): { path: string; explicit: boolean; source: ConfigPathSource }[] {
  if (s.flagPath) return [{ path: s.flagPath, explicit: true, source: "--config" }];
  if (s.env.CODER_AGENTS_CONFIG) return [{ path: s.env.CODER_AGENTS_CONFIG, explicit: true, source: "CODER_AGENTS_CONFIG" }];
  const xdg = s.env.XDG_CONFIG_HOME || (s.env.HOME ? join(s.env.HOME, ".config") : undefined);
  const list: { path: string; explicit: boolean; source: ConfigPathSource }[] = [{ path: join(s.cwd, "agents_config.json"), explicit: false, source: "working directory" }];
  if (xdg) list.push({ path: join(xdg, "coder-agents", "agents_config.json"), explicit: false, source: "XDG_CONFIG_HOME" });
  return list;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** A key of the user's file that the schema does not know, with the closest known key at its level. */
export interface UnknownKey {
  path: string;
  /** The closest known key (full path), or null when the level has no keys. */
  closest: string | null;
  /** True when the closest key is a likely typo (small edit distance). */
  near: boolean;
}

/** Keys an exclusion entry written as an object may carry. */
const EXCLUSION_ITEM = { name: "", reason: "", expires: "" };
const SCOPE_ITEM = { include: [], exclude: [] };
/** The keys a `policies` entry may carry (values only show the shape). */
const POLICY_ITEM = {
  name: "",
  scope: { organizations: SCOPE_ITEM, groups: SCOPE_ITEM, users: SCOPE_ITEM, templates: SCOPE_ITEM },
  calendar: { timezone: "", working_hours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, owner_quiet_hours: false, duration_hours: 0 },
  holidays: { dates: [], ranges: [], ics_files: [] },
  grace_period_minutes: 0,
  idle: { after_hours: 0, when: "" },
  action: "",
  expires: "",
};
/** Arrays whose items are objects with known keys, by key path with the indices left out. */
const ITEM_KEYS: Record<string, unknown> = {
  "quiet_hours.excluded_users": EXCLUSION_ITEM,
  "quiet_hours.excluded_templates": EXCLUSION_ITEM,
  "quiet_hours.excluded_workspaces": EXCLUSION_ITEM,
  policies: POLICY_ITEM,
  "policies.holidays.ranges": { from: "", to: "" },
};

/** Every key of the user's file (any nesting level, exclusion objects included) that the schema does not know. */
export function findUnknownKeys(raw: unknown, known: unknown = DEFAULT_CONFIG, prefix = ""): UnknownKey[] {
  const itemKeys = ITEM_KEYS[prefix.replace(/\[\d+\]/g, "")];
  if (Array.isArray(raw) && itemKeys) {
    return raw.flatMap((item, i) => findUnknownKeys(item, itemKeys, `${prefix}[${i}]`));
  }
  if (!isObject(raw) || !isObject(known)) return [];
  const out: UnknownKey[] = [];
  const knownKeys = Object.keys(known);
  for (const [k, v] of Object.entries(raw)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!(k in known)) {
      let best = "";
      let bestD = Infinity;
      for (const kk of knownKeys) {
        const d = levenshtein(k.toLowerCase(), kk.toLowerCase());
        if (d < bestD) [best, bestD] = [kk, d];
      }
      out.push({ path, closest: best ? (prefix ? `${prefix}.${best}` : best) : null, near: !!best && bestD <= Math.max(2, Math.floor(k.length / 3)) });
      continue;
    }
    out.push(...findUnknownKeys(v, known[k], path));
  }
  return out;
}

/** `unknown config key "x" (did you mean "y"?)`: always names the closest known key. */
export function describeUnknownKey(u: UnknownKey): string {
  const hint = u.closest ? (u.near ? ` (did you mean "${u.closest}"?)` : ` (closest known key: "${u.closest}")`) : "";
  return `unknown config key "${u.path}"${hint}`;
}

/** Human descriptions of the unknown keys (see findUnknownKeys). */
export function unknownKeys(raw: unknown): string[] {
  return findUnknownKeys(raw).map(describeUnknownKey);
}

/** Exclusion objects keep only their known keys (the schema refuses others): --allow-unknown-config ignores them. */
function withoutUnknownItemKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const qh = raw.quiet_hours;
  if (!isObject(qh)) return raw;
  const out: Record<string, unknown> = { ...qh };
  for (const key of Object.keys(ITEM_KEYS)) {
    const list = qh[key.slice("quiet_hours.".length)];
    if (!Array.isArray(list)) continue;
    out[key.slice("quiet_hours.".length)] = list.map((item) =>
      isObject(item) ? Object.fromEntries(Object.entries(item).filter(([k]) => k in EXCLUSION_ITEM)) : item,
    );
  }
  return { ...raw, quiet_hours: out };
}

function parseBool(name: string, v: string): boolean {
  const s = v.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(s)) return true;
  if (["false", "0", "no", "off"].includes(s)) return false;
  throw new ConfigError(`environment ${name}: expected true or false, got "${v}"`);
}

/** The Python agents' environment overrides. Unset variables leave the file alone. */
export function envOverrides(env: Record<string, string | undefined>): Record<string, Json> {
  const qh: Record<string, Json> = {};
  const over: Record<string, Json> = {};
  if (env.QUIET_HOURS_START) qh.start_time = env.QUIET_HOURS_START;
  if (env.QUIET_HOURS_END) qh.end_time = env.QUIET_HOURS_END;
  if (env.QUIET_HOURS_TIMEZONE) qh.timezone = env.QUIET_HOURS_TIMEZONE;
  if (env.GRACE_PERIOD_HOURS !== undefined && env.GRACE_PERIOD_HOURS !== "") {
    // Plain decimal hours only: Number() would read "   " as 0 and "0x10" as 16.
    const text = env.GRACE_PERIOD_HOURS.trim();
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) {
      throw new ConfigError(`environment GRACE_PERIOD_HOURS: expected a decimal number of hours such as 1 or 0.5, got "${env.GRACE_PERIOD_HOURS}"`);
    }
    qh.grace_period_hours = n;
  }
  if (Object.keys(qh).length > 0) over.quiet_hours = qh;
  if (env.DRY_RUN !== undefined && env.DRY_RUN !== "") over.dry_run = parseBool("DRY_RUN", env.DRY_RUN);
  return over;
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** Nesting deeper than any valid configuration (the schema's deepest value is 4 levels down). */
export const MAX_CONFIG_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Rejects what no valid configuration contains and what would hurt the code that walks it: values
 * nested deeper than MAX_CONFIG_DEPTH (the recursive merge and validation would exhaust the stack)
 * and the keys `__proto__`, `constructor` and `prototype` (a merge would write them onto an
 * object's prototype). Iterative, so any depth JSON.parse accepts is checked safely.
 */
export function checkStructure(root: unknown, where: string): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: root, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_CONFIG_DEPTH) {
      throw new ConfigError(`${where}: ${path || "the top level"}: nested more than ${MAX_CONFIG_DEPTH} levels deep; no configuration value is`);
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (FORBIDDEN_KEYS.has(k)) throw new ConfigError(`${where}: key "${p}" is not allowed (no configuration key is named "${k}")`);
      stack.push({ v: x, path: p, depth: depth + 1 });
    }
  }
}

/** Loads the effective configuration or throws ConfigError (exit 2) naming file, key and expectation. */
export function loadConfig(s: ConfigSources): LoadedConfig {
  let raw: unknown = {};
  let path: string | null = null;
  let pathSource: ConfigPathSource | null = null;
  for (const c of configCandidates(s)) {
    let text: string | null;
    try {
      text = s.readFile(c.path);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`config file ${c.path}: cannot be read (${(err as Error).message})`);
    }
    if (text === null) {
      if (c.explicit) throw new ConfigError(`config file ${c.path}: not found`);
      continue;
    }
    try {
      raw = JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigError(`config file ${c.path}: invalid JSON (${(err as Error).message})`);
    }
    if (!isObject(raw)) throw new ConfigError(`config file ${c.path}: expected a JSON object at the top level`);
    checkStructure(raw, `config file ${c.path}`);
    path = c.path;
    pathSource = c.source;
    break;
  }
  const where = path ? `config file ${path}` : "configuration";
  const unknown = findUnknownKeys(raw);
  if (unknown.length > 0 && !s.allowUnknown) {
    const list = unknown.map((u) => describeUnknownKey(u)).join("; ");
    throw new ConfigError(`${where}: ${list}. Fix the key${unknown.length > 1 ? "s" : ""}, or pass --allow-unknown-config to ignore unknown keys with a warning`);
  }
  const warnings = unknown.map((u) => `${where}: ${describeUnknownKey(u)} is ignored (--allow-unknown-config)`);
  if (s.allowUnknown && unknown.length > 0) raw = withoutUnknownItemKeys(raw as Record<string, unknown>);
  const env = envOverrides(s.env);
  const merged = deepMerge(deepMerge(DEFAULT_CONFIG, raw), env);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = formatPath(issue.path);
    const fromEnv = envKeyFor(key, s.env);
    const origin = fromEnv ? `environment ${fromEnv} (key ${key})` : `${where}: ${key}`;
    const got = valueAt(merged, issue.path);
    // Webhook URLs carry their secret in the path: never echo them.
    const secret = /webhook$/.test(String(issue.path.at(-1) ?? ""));
    const shown = got === undefined || secret ? "" : ` (got ${JSON.stringify(got)})`;
    throw new ConfigError(`${origin}: ${describeIssue({ ...issue, input: got })}${issue.code === "invalid_type" ? "" : shown}`);
  }
  const config = result.data;
  const baseDir = path ? dirname(resolve(s.cwd, path)) : s.cwd;
  // The holiday files decide too: their text is part of the configuration's hash.
  const digest = createHash("sha256").update(JSON.stringify(config));
  const readIcs = (p: string) => {
    const text = s.readFile(p);
    if (text !== null) digest.update(`\u0000${p}\u0000${text}`);
    return text;
  };
  const holidayCalendars = loadHolidayCalendars(config.policies, { baseDir, readFile: readIcs, where });
  const hash = digest.digest("hex").slice(0, 16);
  return { config, path, dir: baseDir, warnings, hash, pathSource, raw: raw as Record<string, unknown>, envOverrides: env, holidayCalendars };
}

function envKeyFor(key: string, env: Record<string, string | undefined>): string | undefined {
  const map: Record<string, string> = {
    "quiet_hours.start_time": "QUIET_HOURS_START",
    "quiet_hours.end_time": "QUIET_HOURS_END",
    "quiet_hours.timezone": "QUIET_HOURS_TIMEZONE",
    "quiet_hours.grace_period_hours": "GRACE_PERIOD_HOURS",
  };
  const name = map[key];
  return name && env[name] ? name : undefined;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: { code: string; message: string; expected?: unknown; input?: unknown }): string {
  if (issue.code === "invalid_type") {
    const got = issue.input === null ? "null" : Array.isArray(issue.input) ? "array" : typeof issue.input;
    return `expected ${String(issue.expected)}, got ${got}`;
  }
  if (issue.code === "invalid_union") return "expected a name or an object {name, reason?, expires?}";
  return issue.message;
}
