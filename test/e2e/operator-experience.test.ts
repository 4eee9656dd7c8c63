/**
 * Operator experience: strict configuration, one rule for modes, output that fits a terminal and
 * scales to 10,000 workspaces, progress on stderr, shell completion and packaging. Every run fixes
 * its instant with --now (the demo's 2026-01-05T19:30:00Z); TTY-ness is forced through the
 * composition root's test seam (CODER_AGENTS_FORCE_TTY=1) and the width through COLUMNS.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const SHIPPED_CONFIG = join(ROOT, "agents_config.json");
const TTY = { CODER_AGENTS_FORCE_TTY: "1", COLUMNS: "80" };

let sim: TestSim;
beforeAll(async () => {
  sim = await startSim("demo");
});
afterAll(async () => {
  await sim?.close();
});

const cli = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  runCli(["--url", sim.url, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: sim.ownerToken, ...env }, ...(cwd ? { cwd } : {}) });

const lines = (s: string) => s.split("\n").filter((l, i, a) => !(i === a.length - 1 && l === ""));
const width = (l: string) => [...l].reduce((w, ch) => w + (/\p{Extended_Pictographic}/u.test(ch) ? 2 : ch === "\ufe0f" ? 0 : 1), 0);

describe("strict configuration", () => {
  it("an unknown key at any level is exit 2 for every command, naming the key and the closest known key", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, { quiet_hours: { excluded_user: ["alice"] } });
    for (const args of [["quiet-hours", "--categorize"], ["workspaces"], ["config", "validate"], ["ttl-monitor", "--json"]]) {
      const r = await cli(["--config", cfg, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain('unknown config key "quiet_hours.excluded_user" (did you mean "quiet_hours.excluded_users"?)');
      expect(r.stderr).toContain("--allow-unknown-config");
    }
    const section = writeConfig(dir, { quiet_hour: { start_time: "20:00" } }, "section.json");
    const s = await cli(["--config", section, "quiet-hours", "--categorize"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('unknown config key "quiet_hour" (did you mean "quiet_hours"?)');
    const far = writeConfig(dir, { zzzzzz: 1 }, "far.json");
    expect((await cli(["--config", far, "config", "validate"])).stderr).toMatch(/unknown config key "zzzzzz" \(closest known key: "[a-z_]+"\)/);
  });

  it("--allow-unknown-config keeps the old warning and runs", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, { quiet_hours: { timezone: "Europe/London", excluded_user: ["alice"] } });
    const r = await cli(["--config", cfg, "--allow-unknown-config", "quiet-hours", "--categorize", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    // stderr is not a terminal: the warning is a JSON log line.
    const warning = r.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string }).find((l) => l.msg.includes("unknown config key"));
    expect(warning?.msg).toContain('unknown config key "quiet_hours.excluded_user" (did you mean "quiet_hours.excluded_users"?) is ignored');
  });

  it("config show lists each value with its source (default, file, env, flag), secrets redacted", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, { quiet_hours: { timezone: "Europe/London" }, notifications: { slack_webhook: "https://hooks.slack.com/services/T0/B0/SECRETPART" } });
    const r = await cli(["--config", cfg, "--verbose", "config", "show", "-o", "json"], { QUIET_HOURS_START: "19:00" });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ config_file: string; config_file_source: string; values: { key: string; value: unknown; source: string }[] }>();
    const by = Object.fromEntries(doc.values.map((v) => [v.key, v]));
    expect(doc.config_file).toBe(cfg);
    expect(doc.config_file_source).toBe("--config");
    expect(by["quiet_hours.timezone"]).toEqual({ key: "quiet_hours.timezone", value: "Europe/London", source: "file" });
    expect(by["quiet_hours.start_time"]).toEqual({ key: "quiet_hours.start_time", value: "19:00", source: "env" });
    expect(by["quiet_hours.end_time"]).toEqual({ key: "quiet_hours.end_time", value: "08:00", source: "default" });
    expect(by["logging.level"]).toEqual({ key: "logging.level", value: "debug", source: "flag" });
    expect(by["notifications.slack_webhook"]!.value).toBe("https://hooks.slack.com/[REDACTED]");
    expect(r.stdout + r.stderr).not.toContain("SECRETPART");
    const human = await cli(["--config", cfg, "config", "show", "--limit", "0"]);
    expect(lines(human.stdout)[0]).toBe(`Config: ${cfg} (from --config) · Zone: Europe/London (GMT)`);
    expect(human.stdout).toMatch(/│ quiet_hours\.timezone +│ Europe\/London +│ file +│/);
  });

  it("config validate: exit 0 naming the file, or 'defaults' when there is none", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, { quiet_hours: { timezone: "Europe/London" } });
    const ok = await cli(["--config", cfg, "config", "validate"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`✅ ${cfg} is valid`);
    const none = await cli(["config", "validate"], {}, scratchDir());
    expect(none.code, none.stderr).toBe(0);
    expect(lines(none.stdout)[0]).toBe("Config: defaults (no config file) · Zone: UTC (UTC)");
    const bad = writeConfig(dir, { quiet_hours: { start_time: "25:00" } }, "bad.json");
    expect((await cli(["--config", bad, "config", "validate"])).code).toBe(2);
  });

  it("every human report starts with the config file and the zone; JSON output does not", async () => {
    const dir = scratchDir();
    writeConfig(dir, { quiet_hours: { timezone: "America/Chicago" } });
    for (const args of [["workspaces"], ["quiet-hours", "--categorize"], ["ttl-monitor", "--all"], ["autostop"]]) {
      const r = await cli(args, {}, dir);
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout)[0], args.join(" ")).toBe(`Config: ${join(dir, "agents_config.json")} (found in the working directory) · Zone: America/Chicago (CST)`);
    }
    const j = await cli(["workspaces", "--json"], {}, dir);
    expect(() => j.json()).not.toThrow();
  });
});

describe("one rule for modes", () => {
  it("conflicting modes are exit 2 with the same message in every command", async () => {
    const cases: [string[], string][] = [
      [["quiet-hours", "--categorize", "--execute"], "conflicting modes --categorize and --execute: choose one"],
      [["quiet-hours", "--status", "--execute"], "conflicting modes --status and --execute: choose one"],
      [["autostop", "--schedule", "--execute"], "conflicting modes --schedule and --execute: choose one"],
      [["ttl-monitor", "--report", "--monitor"], "conflicting modes --report and --monitor: choose one"],
    ];
    await sim.resetStats();
    for (const [args, msg] of cases) {
      const r = await cli(["--config", SHIPPED_CONFIG, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    // Refused before anything is read or stopped.
    expect((await sim.stats()).total).toBe(0);
  });

  it("--dry-run without the acting flag is exit 2 everywhere, with the same message", async () => {
    const cases: [string[], string][] = [
      [["quiet-hours", "--dry-run"], "--execute"],
      [["autostop", "--dry-run"], "--execute"],
      [["rollback", "--dry-run"], "--execute"],
      [["prune", "--all", "--dry-run"], "--cleanup"],
    ];
    for (const [args, flag] of cases) {
      const r = await cli(["--config", SHIPPED_CONFIG, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`--dry-run only modifies ${flag}, which was not given (${flag} --dry-run shows what would be done)`);
    }
  });
});

describe("output for large fleets", () => {
  it("-o json is --json; -o wide never cuts; COLUMNS=80 fits every table line", async () => {
    const a = await cli(["--config", SHIPPED_CONFIG, "workspaces", "-o", "json"]);
    const b = await cli(["--config", SHIPPED_CONFIG, "workspaces", "--json"]);
    expect(a.code).toBe(0);
    expect((a.json() as { workspaces: unknown[] }).workspaces).toEqual((b.json() as { workspaces: unknown[] }).workspaces);
    for (const args of [["workspaces", "--all"], ["quiet-hours", "--categorize"], ["quiet-hours", "--execute", "--dry-run"], ["ttl-monitor", "--all", "--show-all"], ["autostop"], ["autostop", "--schedule"], ["prune", "--all"], ["config", "show"]]) {
      const r = await cli(["--config", SHIPPED_CONFIG, ...args], { COLUMNS: "80" });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      for (const l of lines(r.stdout).filter((x) => /^[┌│├└]/.test(x))) expect(width(l), `${args.join(" ")}: ${l}`).toBeLessThanOrEqual(80);
    }
    const wide = await cli(["--config", SHIPPED_CONFIG, "autostop", "--schedule", "-o", "wide"], { COLUMNS: "80" });
    expect(Math.max(...lines(wide.stdout).map(width))).toBeGreaterThan(80);
    expect(wide.stdout).not.toContain("-o wide shows all");
    const narrow = await cli(["--config", SHIPPED_CONFIG, "autostop", "--schedule"], { COLUMNS: "80" });
    expect(narrow.stdout).toMatch(/\(hidden to fit: [^)]+; -o wide shows all\)/);
  });

  it("-c/--column picks and orders columns; an unknown column is exit 2 naming the columns", async () => {
    const r = await cli(["--config", SHIPPED_CONFIG, "workspaces", "-c", "stops-at,workspace"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/│ Stops at +│ Workspace +│\n/);
    expect(r.stdout).toMatch(/│ 2026-01-05 19:15 GMT │ dana\/frontend +│/);
    const bad = await cli(["--config", SHIPPED_CONFIG, "workspaces", "-c", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-c/--column: no column "nope" in this report; its columns are: workspace, template, organization, status, started, stops-at');
    // A report with several tables: a column of any of them is fine.
    const ttl = await cli(["--config", SHIPPED_CONFIG, "ttl-monitor", "--all", "-c", "owner,status"]);
    expect(ttl.code, ttl.stderr).toBe(0);
    expect(ttl.stdout).toMatch(/│ Owner +│ Status +│\n/);
  });

  it("--limit cuts each section with '… and N more'; default 20 on a terminal, all otherwise", async () => {
    const r = await cli(["--config", SHIPPED_CONFIG, "workspaces", "--all", "--limit", "3"]);
    expect(r.stdout).toContain("… and 16 more (--limit 0 for all)");
    expect(lines(r.stdout).filter((l) => l.startsWith("│ ") && !l.startsWith("│ Workspace"))).toHaveLength(3);
    const all = await cli(["--config", SHIPPED_CONFIG, "workspaces", "--all"]);
    expect(all.stdout).not.toContain("more (--limit 0");
  });

  it("--search passes Coder's query to the server", async () => {
    await sim.resetStats();
    const r = await cli(["--config", SHIPPED_CONFIG, "ls", "--all", "--search", "owner:alice", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const owners = new Set((r.json() as { workspaces: { owner: string }[] }).workspaces.map((w) => w.owner));
    expect([...owners]).toEqual(["alice"]);
    const t = await cli(["--config", SHIPPED_CONFIG, "quiet-hours", "--categorize", "--search", "template:python-dev", "--json"]);
    const cats = (t.json() as { categories: Record<string, { template: string }[]> }).categories;
    expect(new Set(Object.values(cats).flat().map((w) => w.template))).toEqual(new Set(["python-dev"]));
    const clash = await cli(["--config", SHIPPED_CONFIG, "quiet-hours", "--categorize", "--search", "status:stopped"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("--search: this command lists only running workspaces");
    // A query Coder cannot parse is the operator's input: exit 2 naming --search, never exit 1.
    for (const cmd of [["quiet-hours", "--categorize"], ["ttl-monitor", "--all"], ["autostop"], ["ls"]]) {
      const bad = await cli(["--config", SHIPPED_CONFIG, ...cmd, "--search", "x;6:nope"]);
      expect(bad.code, `${cmd.join(" ")}: ${bad.stderr}`).toBe(2);
      expect(bad.stderr).toContain('--search "x;6:nope": Coder rejected the query');
    }
  });

  it("list/ls alias workspaces; autostop --duration 2h is --within 2h", async () => {
    const a = await cli(["--config", SHIPPED_CONFIG, "list", "--json"]);
    const b = await cli(["--config", SHIPPED_CONFIG, "workspaces", "--json"]);
    expect((a.json() as { workspaces: unknown }).workspaces).toEqual((b.json() as { workspaces: unknown }).workspaces);
    const d = await cli(["--config", SHIPPED_CONFIG, "autostop", "--duration", "2h", "--json"]);
    const w = await cli(["--config", SHIPPED_CONFIG, "autostop", "--within", "2h", "--json"]);
    expect(d.code, d.stderr).toBe(0);
    const strip = (x: Record<string, unknown>) => ({ ...x, generated_at: null });
    expect(strip(d.json())).toEqual(strip(w.json()));
    const p = await cli(["--config", SHIPPED_CONFIG, "prune", "--all", "--duration", "2h", "--json"]);
    expect(p.code, p.stderr).toBe(0);
  });
});

describe("10,000 workspaces at a terminal", () => {
  let big: TestSim;
  beforeAll(async () => {
    // What is checked is the report's shape at 10,000 workspaces, not the transfer of ~7 KB of
    // resources per running workspace (test/e2e/*-scale and listing-churn carry that bulk).
    big = await startSim({ clock: NOW, generate: { workspaces: 10_000, users: 400, templates: 12, organizations: 3, groups: 10, seed: 1 } }, { workspaceBytes: 0 });
  }, 60_000);
  afterAll(async () => {
    await big?.close();
  });

  it("quiet-hours --categorize prints under 80 lines, none wider than 80 columns, summary first", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, { quiet_hours: { timezone: "Europe/London", excluded_users: ["admin"] } });
    const r = await runCli(["--url", big.url, "--config", cfg, "--now", NOW, "quiet-hours", "--categorize"], {
      env: { CODER_SESSION_TOKEN: big.ownerToken, ...TTY },
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    console.log(`quiet-hours --categorize, 10,000 workspaces, forced TTY at 80 columns: ${out.length} lines, widest ${Math.max(...out.map(width))}`);
    expect(out.length).toBeLessThan(80);
    for (const l of out.filter((x) => /^[┌│├└…(]/.test(x))) expect(width(l), l).toBeLessThanOrEqual(80);
    expect(out.findIndex((l) => l.startsWith("SUMMARY:"))).toBeLessThan(out.findIndex((l) => l.startsWith("┌")));
    expect(r.stdout).toMatch(/… and \d+ more \(--limit 0 for all\)/);
  }, 60_000);

  it("prune --all: --limit counts workspaces across owner sections, so the report stays short", async () => {
    const r = await runCli(["--url", big.url, "--now", NOW, "prune", "--all"], { env: { CODER_SESSION_TOKEN: big.ownerToken, ...TTY } });
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.length).toBeLessThan(80);
    expect(r.stdout).toMatch(/… and \d+ more owners \(--limit 0 for all\)/);
    for (const l of out.filter((x) => /^[┌│├└]/.test(x))) expect(width(l), l).toBeLessThanOrEqual(80);
  }, 60_000);

  it("a terminal run longer than a second shows a progress bar with counts, rate and ETA; log lines stay outside it", async () => {
    await big.setFaults({ latency_ms: 400 });
    try {
      const r = await runCli(["--url", big.url, "--now", NOW, "--allow-unknown-config", "--config", writeConfig(scratchDir(), { http: { page_size: 500 }, x: 1 }), "workspaces"], {
        env: { CODER_SESSION_TOKEN: big.ownerToken, ...TTY },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/listing workspaces \[[█░]+\] \d+\/\d+ \d+% · [\d.]+\/s( · ETA \S+)?/);
      // The warning is its own line: the bar is cleared before it and redrawn after.
      for (const l of r.stderr.split(/\r|\n/)) if (l.includes("WARN")) expect(l).not.toContain("█");
    } finally {
      await big.clearFaults();
    }
  }, 60_000);
});

describe("shell completion", () => {
  it("bash: the script parses and completes command names, subcommands and option choices", async () => {
    const r = await runCli(["completion", "bash"]);
    expect(r.code, r.stderr).toBe(0);
    const dir = scratchDir();
    const file = join(dir, "c.bash");
    writeFileSync(file, r.stdout);
    execFileSync("bash", ["-n", file]);
    const complete = (words: string[]) =>
      spawnSync("bash", ["-c", `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _coder_agents; echo "\${COMPREPLY[*]}"`], { encoding: "utf8" }).stdout.trim();
    expect(complete(["coder-agents", "quiet"])).toBe("quiet-hours");
    expect(complete(["coder-agents", "config", "v"])).toBe("validate");
    expect(complete(["coder-agents", "policy", "s"])).toBe("simulate");
    expect(complete(["coder-agents", "--config", "x.json", "quiet-hours", "--cat"])).toBe("--categorize");
    expect(complete(["coder-agents", "-o", "w"])).toBe("wide");
    expect(complete(["coder-agents", "completion", "f"])).toBe("fish");
  });

  it("zsh and fish scripts name every command", async () => {
    for (const shell of ["zsh", "fish"]) {
      const r = await runCli(["completion", shell]);
      expect(r.code).toBe(0);
      for (const c of ["workspaces", "quiet-hours", "ttl-monitor", "autostop", "prune", "rollback", "config", "completion"]) expect(r.stdout).toContain(c);
    }
    expect((await runCli(["completion", "zsh"])).stdout.startsWith("#compdef coder-agents")).toBe(true);
    expect((await runCli(["completion", "fish"])).stdout).toContain("complete -c coder-agents -n '__fish_use_subcommand' -a 'quiet-hours'");
    expect((await runCli(["completion", "tcsh"])).code).toBe(2);
  });
});

describe("packaging", () => {
  it("npm pack in an unbuilt clone builds and ships dist/ (prepack)", () => {
    const clone = mkdtempSync(join(tmpdir(), "coder-agents-pack-"));
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    for (const f of files) {
      if (f.startsWith("dist/")) continue;
      mkdirSync(join(clone, f, ".."), { recursive: true });
      try {
        cpSync(join(ROOT, f), join(clone, f));
      } catch {
        /* deleted in the worktree */
      }
    }
    symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
    const out = execFileSync("npm", ["pack", "--dry-run", "--json"], {
      cwd: clone,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      // No registry round trip for npm's update check.
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    const packed = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(packed).toContain("dist/cli/main.js");
    expect(packed).toContain("bin/coder-agents.js");
  }, 120_000);
});
