/**
 * OpenAPI fidelity: every simulator route's response body is validated against the definitions
 * extracted from Coder's swagger.json (test/data/coder-openapi-definitions.json). Properties the
 * definition lists must be present, except those Coder omits when empty (omitempty) or only sends
 * in newer versions; nulls are allowed only where Coder sends null (pointer fields).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestSim, startSim } from "../support/sim.js";

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  $ref?: string;
}

const doc = JSON.parse(readFileSync(new URL("../data/coder-openapi-definitions.json", import.meta.url), "utf8")) as {
  source: { commit: string };
  definitions: Record<string, Schema>;
};

/** Fields Coder may leave out (omitempty, or newer-only); "Definition.field". */
const MAY_BE_ABSENT = new Set([
  "codersdk.Workspace.autostart_schedule",
  "codersdk.Workspace.ttl_ms",
  "codersdk.Workspace.shared_with",
  "codersdk.Workspace.task_id",
  "codersdk.ProvisionerJob.available_workers",
  "codersdk.ProvisionerJob.canceled_at",
  "codersdk.ProvisionerJob.completed_at",
  "codersdk.ProvisionerJob.started_at",
  "codersdk.ProvisionerJob.error",
  "codersdk.ProvisionerJob.error_code",
  "codersdk.ProvisionerJob.worker_id",
  "codersdk.ProvisionerJob.worker_name",
  "codersdk.ProvisionerJobInput.error",
  "codersdk.ProvisionerJobInput.template_version_id",
  "codersdk.Feature.limit",
  "codersdk.Feature.actual",
  "codersdk.Feature.soft_limit",
  "codersdk.Feature.usage_period",
  "codersdk.Response.detail",
  "codersdk.Response.validations",
]);

/** Fields Coder serialises as null when unset (Go pointers / NullTime). */
const NULLABLE = new Set([
  "codersdk.WorkspaceBuild.deadline",
  "codersdk.WorkspaceBuild.max_deadline",
  "codersdk.WorkspaceBuild.template_version_preset_id",
  "codersdk.Workspace.latest_app_status",
  "codersdk.Workspace.deleting_at",
  "codersdk.Workspace.dormant_at",
  "codersdk.Workspace.next_start_at",
]);

/**
 * Definitions the extracted subset does not carry (the agent graph under
 * WorkspaceResource.agents): checked here for the codersdk.WorkspaceAgent fields the simulator
 * promises, with the nested apps, scripts and log sources.
 */
const NOT_EXTRACTED: Record<string, (value: unknown, path: string, errors: string[]) => void> = {
  "codersdk.WorkspaceAgent": (value, path, errors) => {
    const need = (obj: unknown, keys: string[], at: string) => {
      if (typeof obj !== "object" || obj === null) return errors.push(`${at}: expected an object`);
      for (const k of keys) if (!(k in obj)) errors.push(`${at}: missing property ${k}`);
      return 0;
    };
    need(value, ["id", "created_at", "updated_at", "status", "lifecycle_state", "name", "resource_id", "architecture", "operating_system", "version", "api_version", "apps", "scripts", "log_sources", "display_apps", "health", "connection_timeout_seconds", "troubleshooting_url", "subsystems", "logs_length", "logs_overflowed"], path);
    const agent = value as { status?: unknown; apps?: unknown[]; scripts?: unknown[]; log_sources?: unknown[] };
    if (!["connecting", "connected", "disconnected", "timeout"].includes(String(agent.status))) errors.push(`${path}.status: ${String(agent.status)}`);
    (agent.apps ?? []).forEach((a, i) => need(a, ["id", "slug", "display_name", "icon", "subdomain", "sharing_level", "healthcheck", "health", "hidden", "open_in", "external"], `${path}.apps[${i}]`));
    (agent.scripts ?? []).forEach((sc, i) => need(sc, ["id", "log_source_id", "log_path", "script", "cron", "run_on_start", "run_on_stop", "start_blocks_login", "timeout", "display_name"], `${path}.scripts[${i}]`));
    (agent.log_sources ?? []).forEach((l, i) => need(l, ["workspace_agent_id", "id", "created_at", "display_name", "icon"], `${path}.log_sources[${i}]`));
  },
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Validates `value` against `schema`; `owner` is the definition whose property this is. */
export function validate(schema: Schema, value: unknown, path: string, errors: string[], owner = "", field = ""): void {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/definitions/", "");
    const def = doc.definitions[name];
    if (!def) {
      const local = NOT_EXTRACTED[name];
      if (local) local(value, path, errors);
      else errors.push(`${path}: unresolved ${schema.$ref}`);
      return;
    }
    if (value === null && NULLABLE.has(`${owner}.${field}`)) return;
    validateDef(name, def, value, path, errors, owner, field);
    return;
  }
  validateDef(owner, schema, value, path, errors, owner, field);
}

function validateDef(defName: string, schema: Schema, value: unknown, path: string, errors: string[], owner: string, field: string): void {
  if (value === null) {
    if (!NULLABLE.has(`${owner}.${field}`)) errors.push(`${path}: null is not allowed (${owner}.${field})`);
    return;
  }
  for (const sub of schema.allOf ?? []) validate(sub, value, path, errors, owner, field);
  // Swagger quirk: some properties carry a stale inline enum next to allOf: [$ref] (e.g.
  // WorkspaceBuild.reason lists only initiator/autostart/autostop while codersdk.BuildReason also has
  // cli, dashboard, ...). The referenced type is authoritative, so the inline enum is widened by it.
  const refEnum = (schema.allOf ?? []).flatMap((x) => (x.$ref ? (doc.definitions[x.$ref.replace("#/definitions/", "")]?.enum ?? []) : []));
  if (schema.enum && !schema.enum.includes(value) && !refEnum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  const t = typeOf(value);
  if (schema.type) {
    const okType = schema.type === t || (schema.type === "number" && t === "integer");
    if (!okType) {
      errors.push(`${path}: expected ${schema.type}, got ${t}`);
      return;
    }
  }
  if (typeof value === "string" && schema.format === "date-time" && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time: ${value}`);
  if (typeof value === "string" && schema.format === "uuid" && !UUID_RE.test(value)) errors.push(`${path}: not a uuid: ${value}`);
  if (t === "array" && schema.items) (value as unknown[]).forEach((v, i) => validate(schema.items as Schema, v, `${path}[${i}]`, errors, owner, field));
  if (t === "object") {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${path}: missing required ${r}`);
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      if (!(k in obj)) {
        if (!MAY_BE_ABSENT.has(`${defName}.${k}`)) errors.push(`${path}: missing property ${k} (${defName})`);
        continue;
      }
      validate(sub, obj[k], `${path}.${k}`, errors, defName, k);
    }
    if (typeof schema.additionalProperties === "object") {
      for (const [k, v] of Object.entries(obj)) validate(schema.additionalProperties, v, `${path}.${k}`, errors, defName, k);
    }
  }
}

function check(def: string, body: unknown, array = false): string[] {
  const errors: string[] = [];
  const schema: Schema = array ? { type: "array", items: { $ref: `#/definitions/${def}` } } : { $ref: `#/definitions/${def}` };
  validate(schema, body, "$", errors);
  return errors;
}

describe(`simulator responses match Coder's OpenAPI definitions (coder/coder@${doc.source.commit.slice(0, 8)})`, () => {
  let sim: TestSim;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    sim = await startSim("demo", { frozenClock: true, buildDelayMs: 20 });
    const state = await sim.state();
    ids["ws"] = state.workspaces.find((w) => w.name === "python-api")?.id ?? "";
    ids["stopped"] = state.workspaces.find((w) => w.name === "legacy-app")?.id ?? "";
    const templates = (await (await sim.api("/api/v2/templates")).json()) as { id: string }[];
    ids["template"] = templates[0]?.id ?? "";
    const groups = (await (await sim.api("/api/v2/groups")).json()) as { id: string }[];
    ids["group"] = groups[0]?.id ?? "";
  });
  afterAll(() => sim.close());

  const cases: [string, string, string, boolean?][] = [
    ["GET /api/v2/buildinfo", "/api/v2/buildinfo", "codersdk.BuildInfoResponse"],
    ["GET /api/v2/entitlements", "/api/v2/entitlements", "codersdk.Entitlements"],
    ["GET /api/v2/users/me", "/api/v2/users/me", "codersdk.User"],
    ["GET /api/v2/users/{user}", "/api/v2/users/alice", "codersdk.User"],
    ["GET /api/v2/users", "/api/v2/users?limit=3", "codersdk.GetUsersResponse"],
    ["GET /api/v2/users/{user}/quiet-hours", "/api/v2/users/alice/quiet-hours", "codersdk.UserQuietHoursScheduleResponse"],
    ["GET /api/v2/users/{user}/organizations", "/api/v2/users/mei/organizations", "codersdk.Organization", true],
    ["GET /api/v2/users/{user}/workspace/{name}", "/api/v2/users/alice/workspace/python-api", "codersdk.Workspace"],
    ["GET /api/v2/workspaces", "/api/v2/workspaces", "codersdk.WorkspacesResponse"],
    ["GET /api/v2/templates", "/api/v2/templates", "codersdk.Template", true],
    ["GET /api/v2/organizations", "/api/v2/organizations", "codersdk.Organization", true],
    ["GET /api/v2/organizations/{org}", "/api/v2/organizations/research", "codersdk.Organization"],
    ["GET /api/v2/organizations/{org}/templates", "/api/v2/organizations/research/templates", "codersdk.Template", true],
    ["GET /api/v2/organizations/{org}/members", "/api/v2/organizations/platform/members", "codersdk.OrganizationMemberWithUserData", true],
    ["GET /api/v2/organizations/{org}/groups", "/api/v2/organizations/platform/groups", "codersdk.Group", true],
    ["GET /api/v2/organizations/{org}/groups/{name}", "/api/v2/organizations/platform/groups/sre", "codersdk.Group"],
    ["GET /api/v2/groups", "/api/v2/groups", "codersdk.Group", true],
  ];

  for (const [name, path, def, array] of cases) {
    it(`${name} → ${array ? `${def}[]` : def}`, async () => {
      const res = await sim.api(path);
      expect(res.status).toBe(200);
      expect(check(def, await res.json(), array)).toEqual([]);
    });
  }

  it("GET /api/v2/workspaces/{id}, /builds, templates/{id}, groups/{group}", async () => {
    const ws = await sim.api(`/api/v2/workspaces/${ids["ws"]}`);
    expect(check("codersdk.Workspace", await ws.json())).toEqual([]);
    const builds = await sim.api(`/api/v2/workspaces/${ids["ws"]}/builds`);
    expect(check("codersdk.WorkspaceBuild", await builds.json(), true)).toEqual([]);
    const t = await sim.api(`/api/v2/templates/${ids["template"]}`);
    expect(check("codersdk.Template", await t.json())).toEqual([]);
    const g = await sim.api(`/api/v2/groups/${ids["group"]}`);
    expect(check("codersdk.Group", await g.json())).toEqual([]);
  });

  it("every workspace status in the demo validates (transitional builds without completed_at etc.)", async () => {
    const body = (await (await sim.api("/api/v2/workspaces")).json()) as { workspaces: { latest_build: { status: string } }[] };
    expect(new Set(body.workspaces.map((w) => w.latest_build.status))).toEqual(
      new Set(["running", "stopped", "stopping", "starting", "failed", "pending", "canceled"]),
    );
    expect(check("codersdk.WorkspacesResponse", body)).toEqual([]);
  });

  it("POST /api/v2/workspaces/{id}/builds → codersdk.WorkspaceBuild (201)", async () => {
    const res = await sim.api(`/api/v2/workspaces/${ids["stopped"]}/builds`, { method: "POST", body: JSON.stringify({ transition: "start", reason: "cli" }) });
    expect(res.status).toBe(201);
    expect(check("codersdk.WorkspaceBuild", await res.json())).toEqual([]);
  });

  it("PUT /api/v2/users/{user}/quiet-hours → codersdk.UserQuietHoursScheduleResponse", async () => {
    const res = await sim.api("/api/v2/users/dana/quiet-hours", { method: "PUT", body: JSON.stringify({ schedule: "CRON_TZ=Europe/Paris 0 20 * * *" }) });
    expect(res.status).toBe(200);
    expect(check("codersdk.UserQuietHoursScheduleResponse", await res.json())).toEqual([]);
  });

  it("GET /api/v2/deployment/config → {config: DeploymentValues subset, options: []}", async () => {
    const body = (await (await sim.api("/api/v2/deployment/config")).json()) as { config: Record<string, unknown>; options: unknown[] };
    expect(Array.isArray(body.options)).toBe(true);
    expect(check("codersdk.UserQuietHoursScheduleConfig", body.config["user_quiet_hours_schedule"])).toEqual([]);
  });

  it("error bodies → codersdk.Response", async () => {
    const bodies = await Promise.all([
      sim.api("/api/v2/users/me", { token: null }),
      sim.api("/api/v2/nope"),
      sim.api("/api/v2/workspaces?q=colour:blue"),
      sim.api("/api/v2/workspaces?limit=x"),
      sim.api(`/api/v2/workspaces/${ids["ws"]}/builds`, { method: "POST", body: JSON.stringify({ transition: "nope" }) }),
      sim.api("/api/v2/deployment/config", { token: "alice-token" }),
    ]);
    expect(bodies.map((r) => r.status)).toEqual([401, 404, 400, 400, 400, 403]);
    for (const r of bodies) expect(check("codersdk.Response", await r.json())).toEqual([]);
  });

  it("the validator catches wrong shapes", () => {
    expect(check("codersdk.Workspace", { id: "x" }).length).toBeGreaterThan(10);
    const errs = check("codersdk.ValidationError", { field: 1 });
    expect(errs).toContain("$.field: expected string, got integer");
    expect(errs).toContain("$: missing required detail");
    expect(check("codersdk.WorkspaceBuild", { reason: "bogus" }).some((e) => e.includes("not in enum"))).toBe(true);
    expect(check("codersdk.Workspace", { latest_app_status: null }).some((e) => e.includes("null"))).toBe(false);
    expect(check("codersdk.Workspace", { name: null }).some((e) => e.includes("null is not allowed"))).toBe(true);
  });
});
