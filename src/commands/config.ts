/**
 * `config show` and `config validate`: the effective configuration, each value with where it came
 * from (default, file, env, flag), secrets redacted; and a check of the file that exits 2 on any
 * problem (unknown keys included), so a config change can be tested before a scheduled run uses it.
 */
import { tableView, type AppContext } from "../cli/context.js";
import { DEFAULT_CONFIG } from "../config/schema.js";
import type { CommandResult } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { renderTable } from "../output/table.js";

export type ValueSource = "default" | "file" | "env" | "flag";

export interface ConfigValue {
  key: string;
  value: unknown;
  source: ValueSource;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaf key paths of the configuration (objects are descended, arrays and scalars are leaves). */
function leaves(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (isObject(v) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function has(obj: unknown, path: string): boolean {
  let v: unknown = obj;
  for (const p of path.split(".")) {
    if (!isObject(v) || !(p in v)) return false;
    v = v[p];
  }
  return true;
}

function get(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const p of path.split(".")) v = isObject(v) ? v[p] : undefined;
  return v;
}

/** Webhook URLs carry their secret in the path: only the host is shown. */
export function redactValue(key: string, value: unknown): unknown {
  if (/webhook$/.test(key) && typeof value === "string" && value !== "") {
    try {
      return `${new URL(value).origin}/[REDACTED]`;
    } catch {
      return "[REDACTED]";
    }
  }
  return value;
}

/** Every configuration value with its source, secrets redacted. */
export function effectiveValues(ctx: Pick<AppContext, "config" | "configSources">): ConfigValue[] {
  const s = ctx.configSources;
  return leaves(DEFAULT_CONFIG as unknown as Record<string, unknown>).map((key) => {
    const source: ValueSource = key in s.flags ? "flag" : has(s.env, key) ? "env" : has(s.raw, key) ? "file" : "default";
    const value = key in s.flags ? s.flags[key] : get(ctx.config, key);
    return { key, value: redactValue(key, value), source };
  });
}

const show = (v: unknown): string => (typeof v === "string" ? (v === "" ? '""' : v) : JSON.stringify(v));

export async function configShowCommand(ctx: AppContext): Promise<CommandResult<DataOf<"config show">>> {
  const values = effectiveValues(ctx);
  const data: DataOf<"config show"> = { config_file: ctx.configPath, config_file_source: ctx.configSources.pathSource, values };
  const human = () =>
    renderTable(
      ["Key", "Value", "Source"],
      values.map((v) => [v.key, show(v.value), v.source]),
      tableView(ctx),
    );
  return { command: "config show", mode: "report", data, human, outcome: "ok" };
}

export async function configValidateCommand(ctx: AppContext): Promise<CommandResult<DataOf<"config validate">>> {
  // Reaching this point means the runner loaded and validated the configuration; policy ties the
  // file shows (two policies at one level taking the same subject) are refused here too (exit 2).
  const { assertNoTies, policiesFromConfig } = await import("../domain/policy/index.js");
  assertNoTies(policiesFromConfig(ctx.config, ctx.holidayCalendars), ctx.now);
  const values = effectiveValues(ctx);
  const fromFile = values.filter((v) => v.source === "file").length;
  const fromEnv = values.filter((v) => v.source === "env").length;
  const data: DataOf<"config validate"> = { valid: true, config_file: ctx.configPath, keys_from_file: fromFile, keys_from_env: fromEnv };
  const human = () =>
    ctx.configPath
      ? `✅ ${ctx.configPath} is valid: ${fromFile} keys set in the file, ${fromEnv} from the environment, the rest defaults`
      : `✅ No config file found: the defaults${fromEnv ? ` and ${fromEnv} keys from the environment` : ""} are in use`;
  return { command: "config validate", mode: "report", data, human, outcome: "ok" };
}
