/**
 * Coder's search-query syntax (coderd/searchquery): lower-cased, split on spaces with quoted
 * strings kept together, `key:value` tokens, bare terms meaning `name` (or `owner/name`).
 * Plus the limit/offset pagination parameters.
 */
import type { Workspace } from "./model.js";
import { latestBuild, workspaceStatus } from "./model.js";
import { WORKSPACE_STATUSES } from "./scenario.js";
import type { Store } from "./store.js";

export interface Validation {
  field: string;
  detail: string;
}

export class QueryError extends Error {
  constructor(
    message: string,
    readonly validations: Validation[],
  ) {
    super(message);
  }
}

/** Splits a query into tokens: spaces separate, double quotes group. */
export function tokenize(q: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of q) {
    if (ch === '"') quoted = !quoted;
    else if (ch === " " && !quoted) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Parses `q` into key → values (bare terms under "name", "owner/name" split). */
export function parseQuery(q: string, searchKey: "name" | "search"): Map<string, string[]> {
  const values = new Map<string, string[]>();
  const errors: Validation[] = [];
  const add = (k: string, v: string) => values.set(k, [...(values.get(k) ?? []), v]);
  for (const token of tokenize(q.toLowerCase())) {
    const colons = token.split(":").length - 1;
    if (colons === 0) {
      const slashes = token.split("/").length - 1;
      if (slashes === 0) add(searchKey, token);
      else if (slashes === 1 && searchKey === "name") {
        const [owner = "", name = ""] = token.split("/");
        if (owner) add("owner", owner);
        if (name) add("name", name);
      } else errors.push({ field: "q", detail: `Query element "${token}" can only contain 1 '/'` });
      continue;
    }
    if (token.startsWith(":") || token.endsWith(":")) {
      errors.push({ field: "q", detail: `Query element "${token}" cannot start or end with ':'` });
      continue;
    }
    if (colons > 1) {
      errors.push({ field: "q", detail: `Query element "${token}" can only contain 1 ':'` });
      continue;
    }
    const i = token.indexOf(":");
    add(token.slice(0, i), token.slice(i + 1));
  }
  if (errors.length) throw new QueryError("", errors);
  return values;
}

const WORKSPACE_KEYS = new Set([
  "owner",
  "template",
  "name",
  "status",
  "organization",
  "id",
  "has-agent",
  "dormant",
  "last_used_after",
  "last_used_before",
  "outdated",
  "param",
]);
const AGENT_STATUSES = ["connecting", "connected", "disconnected", "timeout"];

type Pred = (ws: Workspace) => boolean;

function parseBool(key: string, v: string, errors: Validation[]): boolean {
  if (v === "true") return true;
  if (v === "false") return false;
  errors.push({ field: key, detail: `Query param "${key}" must be a valid boolean: strconv.ParseBool: parsing "${v}": invalid syntax` });
  return false;
}

function parseTime(key: string, v: string, errors: Validation[]): number {
  const t = Date.parse(v.toUpperCase());
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}t/i.test(v)) {
    errors.push({ field: key, detail: `Query param "${key}" must be a valid date format (2006-01-02T15:04:05Z07:00): ${v}` });
  }
  return t;
}

function agentStatus(ws: Workspace): string | null {
  const status = workspaceStatus(latestBuild(ws));
  if (status === "running") return "connected";
  if (status === "starting") return "connecting";
  return null;
}

/**
 * Compiles a workspace `q` into a predicate. `me` is the caller's user id. Throws QueryError with
 * Coder's message and validations on unknown keys or bad values.
 */
export function workspaceFilter(store: Store, q: string, meId: string): { owners: string[] | null; pred: Pred } {
  let values: Map<string, string[]>;
  try {
    values = parseQuery(q, "name");
  } catch (err) {
    if (err instanceof QueryError) throw new QueryError("Invalid workspace search query.", err.validations);
    throw err;
  }
  const errors: Validation[] = [];
  for (const key of values.keys()) {
    if (!WORKSPACE_KEYS.has(key)) errors.push({ field: key, detail: `Query param "${key}" is not a valid query param` });
  }
  const first = (k: string) => values.get(k)?.[0];
  const list = (k: string) => (values.get(k) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
  const preds: Pred[] = [];
  let owners: string[] | null = null;

  const owner = first("owner");
  if (owner !== undefined) {
    const id = owner === "me" ? meId : store.findUser(owner)?.id;
    owners = id ? [id] : [];
  }
  const template = first("template");
  if (template !== undefined) {
    const ids = new Set(store.templates.filter((t) => t.name.toLowerCase() === template).map((t) => t.id));
    preds.push((ws) => ids.has(ws.templateId));
  }
  const name = first("name");
  if (name !== undefined) preds.push((ws) => ws.name.toLowerCase().includes(name));
  const statuses = list("status");
  if (statuses.length) {
    for (const s of statuses) {
      if (!(WORKSPACE_STATUSES as readonly string[]).includes(s)) {
        errors.push({ field: "status", detail: `Query param "status" has invalid value: "${s}" is not a valid workspace status` });
      }
    }
    const set = new Set(statuses);
    preds.push((ws) => set.has(workspaceStatus(latestBuild(ws))));
  }
  const org = first("organization");
  if (org !== undefined) {
    const o = store.findOrg(org);
    if (!o) errors.push({ field: "organization", detail: `Organization "${org}" either does not exist, or you are unauthorized to view it` });
    preds.push((ws) => ws.orgId === o?.id);
  }
  const ids = list("id");
  if (ids.length) {
    const set = new Set(ids);
    preds.push((ws) => set.has(ws.id));
  }
  const agents = list("has-agent");
  if (agents.length) {
    for (const a of agents) {
      if (!AGENT_STATUSES.includes(a)) errors.push({ field: "has-agent", detail: `Query param "has-agent" has invalid value: "${a}"` });
    }
    const set = new Set(agents);
    preds.push((ws) => {
      const s = agentStatus(ws);
      return s !== null && set.has(s);
    });
  }
  const dormant = first("dormant");
  if (dormant !== undefined) {
    const want = parseBool("dormant", dormant, errors);
    preds.push((ws) => (ws.dormantAt !== null) === want);
  }
  const outdated = first("outdated");
  if (outdated !== undefined) {
    const want = parseBool("outdated", outdated, errors);
    preds.push((ws) => ws.outdated === want);
  }
  const after = first("last_used_after");
  if (after !== undefined) {
    const t = parseTime("last_used_after", after, errors);
    preds.push((ws) => ws.lastUsedAt !== null && ws.lastUsedAt > t);
  }
  const before = first("last_used_before");
  if (before !== undefined) {
    const t = parseTime("last_used_before", before, errors);
    preds.push((ws) => ws.lastUsedAt !== null && ws.lastUsedAt < t);
  }
  for (const p of values.get("param") ?? []) {
    const [pname = "", pvalue] = p.split("=");
    preds.push((ws) => {
      const entry = Object.entries(ws.params).find(([k]) => k.toLowerCase() === pname);
      return entry !== undefined && (pvalue === undefined || entry[1].toLowerCase() === pvalue);
    });
  }
  if (errors.length) throw new QueryError("Invalid workspace search query.", errors);
  return { owners, pred: (ws) => preds.every((p) => p(ws)) };
}

/** limit/offset (Coder's coderd/pagination.go): integers ≥ 0; limit 0 = no limit. */
export function parsePagination(params: URLSearchParams): { limit: number; offset: number } {
  const errors: Validation[] = [];
  const read = (key: string): number => {
    const raw = params.get(key);
    if (raw === null || raw === "") return 0;
    if (!/^-?\d+$/.test(raw)) {
      errors.push({ field: key, detail: `Query param "${key}" must be a valid integer: strconv.ParseInt: parsing "${raw}": invalid syntax` });
      return 0;
    }
    const n = Number(raw);
    if (n < 0) errors.push({ field: key, detail: `Query param "${key}" must be a non-negative integer` });
    return n;
  };
  const limit = read("limit");
  const offset = read("offset");
  const afterId = params.get("after_id");
  if (afterId && !/^[0-9a-f-]{36}$/i.test(afterId)) {
    errors.push({ field: "after_id", detail: `Query param "after_id" must be a valid uuid` });
  }
  if (errors.length) throw new QueryError("Query parameters have invalid values.", errors);
  return { limit, offset };
}
