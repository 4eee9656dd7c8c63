/**
 * The scenario file format: a zod schema that rejects unknown keys (naming the key
 * path), and the loader for the shipped `demo` scenario or a JSON file.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { isTimeValue } from "./time.js";

/** An ISO instant or an offset from the scenario clock ("+2h", "-10m", "-1d", "-90s"). */
const timeValue = z.string().refine(isTimeValue, {
  message: 'expected an ISO instant (e.g. "2026-01-05T19:30:00Z") or an offset like "+2h", "-10m", "-1d"',
});

export const WORKSPACE_STATUSES = [
  "pending",
  "starting",
  "running",
  "stopping",
  "stopped",
  "failed",
  "canceling",
  "canceled",
  "deleting",
  "deleted",
] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];

const weekday = z.enum(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]);

const deploymentSchema = z.strictObject({
  version: z.string().default("v2.24.0"),
  licensed: z.boolean().default(true),
  default_quiet_hours: z.string().default("CRON_TZ=UTC 0 0 * * *"),
  allow_user_custom: z.boolean().default(true),
  rate_limit_per_minute: z.number().int().min(0).default(512),
  /**
   * How the API rate limit is keyed: "user" (per user and path; owners may bypass with
   * X-Coder-Bypass-Ratelimit) or "ip-path" (Coder v2.15–v2.28: per client address and path, the
   * limiter runs before authentication so the bypass header is ignored).
   */
  rate_limit_mode: z.enum(["user", "ip-path"]).default("user"),
  build_delay_ms: z.number().int().min(0).optional(),
  /**
   * About how many JSON bytes one running workspace renders to: latest_build.resources carries
   * agents, apps, scripts and log sources as in codersdk, the startup script padded to fit.
   * Coder's documented example is ~5.6 KB, a typical template ~10 KB; 0 = resources: [].
   */
  workspace_bytes: z.number().int().min(0).max(1_000_000).default(7_000),
  /** Run Coder's lifecycle executor (a tick per minute of the simulated clock). */
  lifecycle_executor: z.boolean().default(false),
  /** Start/stop random workspaces at this many changes per second of real time (0 = off). */
  churn_per_second: z.number().min(0).max(10_000).default(0),
});

const organizationSchema = z.strictObject({
  name: z.string().min(1),
  display_name: z.string().optional(),
  description: z.string().optional(),
});

const userSchema = z.strictObject({
  username: z.string().min(1),
  roles: z.array(z.string()).default(["member"]),
  organizations: z.array(z.string()).optional(),
  quiet_hours: z.string().nullish(),
  token: z.string().min(1).optional(),
  status: z.enum(["active", "dormant", "suspended"]).default("active"),
  name: z.string().optional(),
  email: z.string().optional(),
});

const groupSchema = z.strictObject({
  name: z.string().min(1),
  organization: z.string().optional(),
  members: z.array(z.string()).default([]),
  display_name: z.string().optional(),
});

const templateSchema = z.strictObject({
  name: z.string().min(1),
  organization: z.string().optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  default_ttl_ms: z.number().int().min(0).default(0),
  activity_bump_ms: z.number().int().min(0).default(3_600_000),
  time_til_dormant_ms: z.number().int().min(0).default(0),
  time_til_dormant_autodelete_ms: z.number().int().min(0).default(0),
  failure_ttl_ms: z.number().int().min(0).default(0),
  autostop_requirement: z
    .strictObject({ days_of_week: z.array(weekday).default([]), weeks: z.number().int().min(0).max(16).default(1) })
    .nullish(),
  autostart_requirement: z.strictObject({ days_of_week: z.array(weekday) }).nullish(),
  allow_user_autostop: z.boolean().default(true),
  allow_user_autostart: z.boolean().default(true),
  deprecated: z.boolean().default(false),
});

/** Coder's BuildReason values (codersdk.BuildReason plus the newer automatic and task reasons). */
export const BUILD_REASONS = [
  "initiator",
  "autostart",
  "autostop",
  "dormancy",
  "autodelete",
  "dashboard",
  "cli",
  "ssh_connection",
  "vscode_connection",
  "jetbrains_connection",
  "task_auto_pause",
  "task_manual_pause",
  "task_resume",
] as const;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: "expected a UUID" });

export const scenarioWorkspaceSchema = z.strictObject({
  name: z.string().min(1),
  /** Username; optional only for a prebuilt workspace (`is_prebuild: true`), owned by `prebuilds`. */
  owner: z.string().min(1).optional(),
  template: z.string().min(1),
  status: z.enum(WORKSPACE_STATUSES).default("running"),
  /** Override the transition derived from status (e.g. a failed "stop"). */
  transition: z.enum(["start", "stop", "delete"]).optional(),
  started_at: timeValue.optional(),
  created_at: timeValue.optional(),
  deadline: timeValue.nullish(),
  max_deadline: timeValue.nullish(),
  ttl_ms: z.number().int().min(0).nullish(),
  last_used_at: timeValue.nullish(),
  autostart_schedule: z.string().nullish(),
  build_number: z.number().int().min(1).optional(),
  reason: z.enum(BUILD_REASONS).optional(),
  initiator: z.string().optional(),
  outdated: z.boolean().default(false),
  dormant_at: timeValue.nullish(),
  /** Default: dormant_at + the template's time_til_dormant_autodelete_ms (when both are set). */
  deleting_at: timeValue.nullish(),
  /** Owned by Coder's `prebuilds` system user (is_prebuild in Coder's JSON). */
  is_prebuild: z.boolean().default(false),
  task_id: uuid.nullish(),
  /** Open connections (simulator-only): while > 0 the lifecycle executor counts the workspace as in use. */
  connections: z.number().int().min(0).default(0),
  favorite: z.boolean().default(false),
  parameters: z.record(z.string(), z.string()).optional(),
  job_error: z.string().optional(),
});

const generateSchema = z.strictObject({
  workspaces: z.number().int().min(0).default(0),
  users: z.number().int().min(0).default(0),
  groups: z.number().int().min(0).default(0),
  organizations: z.number().int().min(0).default(0),
  templates: z.number().int().min(0).default(0),
  seed: z.number().int().default(1),
  /** How many of the generated workspaces are running (default: about 60 %). */
  running: z.number().int().min(0).optional(),
  /** Extra running prebuilt workspaces owned by the `prebuilds` system user. */
  prebuilds: z.number().int().min(0).default(0),
  /** How many generated stopped workspaces are dormant (dormant_at days ago). */
  dormant: z.number().int().min(0).default(0),
  /** How many generated users are suspended. */
  suspended_users: z.number().int().min(0).default(0),
  /** How many generated workspaces are their owner's favourite. */
  favorites: z.number().int().min(0).default(0),
});

export const scenarioSchema = z.strictObject({
  $comment: z.string().optional(),
  clock: timeValue.nullish(),
  deployment: deploymentSchema.default(deploymentSchema.parse({})),
  organizations: z.array(organizationSchema).default([]),
  users: z.array(userSchema).default([]),
  groups: z.array(groupSchema).default([]),
  templates: z.array(templateSchema).default([]),
  workspaces: z.array(scenarioWorkspaceSchema).default([]),
  generate: generateSchema.optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioUser = z.output<typeof userSchema>;
export type ScenarioGroup = z.output<typeof groupSchema>;
export type ScenarioTemplate = z.output<typeof templateSchema>;
export type ScenarioWorkspace = z.output<typeof scenarioWorkspaceSchema>;
export type ScenarioOrganization = z.output<typeof organizationSchema>;
export type ScenarioGenerate = z.output<typeof generateSchema>;

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "scenario";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  return out;
}

/** Validates a parsed JSON value as a scenario; errors name the key path. */
export function parseScenario(value: unknown, source = "scenario"): Scenario {
  if (value === "demo") throw new ScenarioError('use loadScenario("demo") for the shipped scenario');
  const result = scenarioSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key "${k}"`).join("\n");
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
  throw new ScenarioError(`invalid scenario ${source}:\n${lines.join("\n")}`);
}

/** Path of the shipped demo scenario (works from src/sim and from dist/sim). */
export function demoScenarioPath(): string {
  return fileURLToPath(new URL("../../scenarios/demo.json", import.meta.url));
}

/** Loads "demo" (the shipped scenario) or a JSON file path. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const path = nameOrPath === "demo" ? demoScenarioPath() : nameOrPath;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`scenario ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseScenario(json, path);
}
