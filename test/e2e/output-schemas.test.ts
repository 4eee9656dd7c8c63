/**
 * Every command's --json document on the demo deployment is described by its published schema
 * exactly: it parses with one of the command's variants, and nothing is dropped by the parse, so
 * no key is printed that schema/output.v1.json (where objects have additionalProperties: false)
 * does not declare. The schemas' `passthrough()` objects keep their extra keys and are not checked
 * that way.
 */
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { commandDataSchemas, envelopeSchema } from "../../src/output/schema.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const WEEKDAYS = (range: string) => ({ mon: [range], tue: [range], wed: [range], thu: [range], fri: [range] });

let sim: TestSim;
let dir: string;
let config: string;
let policyConfig: string;

beforeAll(async () => {
  sim = await startSim("demo", { frozenClock: true });
  dir = scratchDir("output-schemas-");
  const base = { quiet_hours: { timezone: "Europe/London" }, prune_workspaces: { enabled: true }, autostop: { enabled: true }, journal: { path: join(dir, "journal.ndjson") } };
  config = writeConfig(dir, base);
  policyConfig = writeConfig(
    dir,
    {
      ...base,
      policies: [
        { name: "eng", scope: { organizations: { include: ["engineering"] } }, calendar: { timezone: "Europe/London", working_hours: WEEKDAYS("08:00-18:00") }, action: "stop" },
        { name: "research", scope: { organizations: { include: ["research"] } }, calendar: { timezone: "Asia/Kolkata", working_hours: WEEKDAYS("09:00-18:00") }, action: "warn" },
      ],
    },
    "policies.json",
  );
});
afterAll(async () => {
  await sim?.close();
});

type Command = keyof typeof commandDataSchemas;

/** The variants of `command` whose parse keeps the whole document. */
function exactVariants(command: Command, doc: unknown): number[] {
  const out: number[] = [];
  commandDataSchemas[command].forEach((variant, i) => {
    const parsed = envelopeSchema.extend(variant.shape).extend({ command: z.literal(command) }).safeParse(doc);
    if (parsed.success && isDeepStrictEqual(parsed.data, doc)) out.push(i);
  });
  return out;
}

/** A parse that drops keys, for the failure message: the first variant that accepts the document. */
function droppedKeys(command: Command, doc: unknown): string {
  for (const variant of commandDataSchemas[command]) {
    const parsed = envelopeSchema.extend(variant.shape).extend({ command: z.literal(command) }).safeParse(doc);
    if (parsed.success) return JSON.stringify(diff(doc, parsed.data)).slice(0, 2000);
  }
  return "no variant accepts the document";
}

function diff(a: unknown, b: unknown, path = "$"): string[] {
  if (Array.isArray(a) && Array.isArray(b)) return a.flatMap((x, i) => diff(x, b[i], `${path}[${i}]`)).slice(0, 20);
  if (a && b && typeof a === "object" && typeof b === "object") {
    const bo = b as Record<string, unknown>;
    return Object.entries(a).flatMap(([k, v]) => (k in bo ? diff(v, bo[k], `${path}.${k}`) : [`${path}.${k}`])).slice(0, 20);
  }
  return isDeepStrictEqual(a, b) ? [] : [path];
}

/** `stops`: first stop what quiet hours select (for real, journaled), so a rollback has something to start. */
const RUNS: { command: Command; args: string[]; policies?: boolean; plan?: boolean; stops?: boolean }[] = [
  { command: "workspaces", args: ["workspaces"] },
  { command: "quiet-hours", args: ["quiet-hours"] },
  { command: "quiet-hours", args: ["quiet-hours", "--report"] },
  { command: "quiet-hours", args: ["quiet-hours", "--categorize"] },
  { command: "quiet-hours", args: ["quiet-hours", "--categorize"], policies: true },
  { command: "quiet-hours", args: ["quiet-hours", "--execute", "--dry-run", "--max-stops", "1000"] },
  { command: "quiet-hours", args: ["quiet-hours", "--enterprise"] },
  { command: "enterprise-quiet-hours", args: ["enterprise-quiet-hours"] },
  { command: "ttl-monitor", args: ["ttl-monitor", "--all", "--show-all"] },
  { command: "autostop", args: ["autostop", "--owner-schedules"] },
  { command: "autostop", args: ["autostop", "--schedule"] },
  { command: "autostop", args: ["autostop", "--explain", "alice/python-api"] },
  { command: "autostop", args: ["autostop", "--explain", "alice/python-api"], policies: true },
  { command: "autostop", args: ["autostop", "--execute", "--dry-run"] },
  { command: "prune", args: ["prune", "--all"] },
  { command: "prune", args: ["prune", "--all", "--cleanup", "--dry-run", "--max-stops", "1000"] },
  { command: "apply", args: ["apply", "--dry-run"], plan: true },
  { command: "policy lint", args: ["policy", "lint"], policies: true },
  { command: "policy simulate", args: ["policy", "simulate", "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-07T00:00:00Z"], policies: true },
  // Last: these stop workspaces.
  { command: "rollback", args: ["rollback"], stops: true },
  { command: "rollback", args: ["rollback", "--execute"] },
  { command: "savings", args: ["savings"] },
  { command: "config show", args: ["config", "show"] },
  { command: "config validate", args: ["config", "validate"] },
];

describe("--json documents have exactly the keys of their published schema", () => {
  for (const run of RUNS) {
    it(`${run.args.join(" ")}${run.policies ? " (with policies)" : ""}`, async () => {
      const cfg = run.policies ? policyConfig : config;
      const cli = (args: string[]) => runCli(["--config", cfg, "--now", NOW, ...args, "--json"], { env: sim.env(), cwd: dir, clockIso: NOW });
      let args = run.args;
      if (run.stops) {
        const stopped = await cli(["quiet-hours", "--execute", "--max-stops", "1000"]);
        expect(stopped.code, stopped.stderr).toBe(0);
        const names = stopped.json<{ results: { owner: string; name: string; outcome: string }[] }>().results.filter((x) => x.outcome === "stopped").map((x) => `${x.owner}/${x.name}`);
        expect(names.length).toBeGreaterThan(0);
        for (let i = 0; i < 200 && !(await Promise.all(names.map((n) => sim.workspace(n)))).every((w) => w.status === "stopped"); i++) await new Promise((res) => setTimeout(res, 20));
      }
      if (run.plan) {
        const planFile = `plan-${Math.random().toString(36).slice(2)}.json`;
        const made = await cli(["quiet-hours", "--execute", "--max-stops", "1000", "--plan-out", planFile, "--dry-run"]);
        expect(made.code, made.stderr).toBe(0);
        args = [...args, planFile];
      }
      const r = await cli(args);
      expect([0, 5, 6], `exit ${r.code}\n${r.stderr}`).toContain(r.code);
      const doc = r.json();
      expect(doc.command).toBe(run.command);
      if (run.command === "rollback") expect((doc.results as unknown[]).length).toBeGreaterThan(0);
      expect(exactVariants(run.command, doc), droppedKeys(run.command, doc)).not.toEqual([]);
    });
  }
});
