/**
 * The session token must never appear in stdout, stderr, the log file or the journal — for every
 * command, with --verbose, in human and JSON modes, on success and on failure. Spawned processes:
 * what is checked is everything the process writes to its file descriptors, not only what passes
 * through the CLI's own output functions.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { startWebhook, type TestWebhook } from "../support/webhook.js";

const TOKEN = "Zq9-redaction-canary-7f3c2e1d0b9a";
const NOW = miniScenario().clock as string;
let sim: TestSim;
let dir: string;
let configPath: string;

beforeAll(async () => {
  const base = miniScenario();
  sim = await startSim({
    ...base,
    users: [{ username: "root", roles: ["owner"], token: TOKEN, quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" }, ...(base.users ?? [])],
    workspaces: [
      { name: "dev", owner: "alice", template: "python-dev", status: "running", started_at: "-3h", deadline: "+2h" },
      { name: "old", owner: "bob", template: "python-dev", status: "running", started_at: "-30h", deadline: "-2h" },
      { name: "off", owner: "alice", template: "python-dev", status: "stopped", started_at: "-1d" },
    ],
  });
  dir = scratchDir();
  configPath = writeConfig(dir, {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
    logging: { level: "DEBUG", file: join(dir, "agents.log") },
    journal: { path: join(dir, "journal.ndjson") },
  });
});
afterAll(() => sim.close());

const commands: string[][] = [
  ["workspaces", "--all"],
  ["quiet-hours", "--status"],
  ["quiet-hours", "--categorize"],
  ["quiet-hours", "--report"],
  ["quiet-hours", "--execute", "--dry-run"],
  ["quiet-hours", "--execute"],
  ["ttl-monitor", "--all"],
  ["autostop", "--list-pending"],
  ["autostop", "--explain", "alice/dev"],
  ["enterprise-quiet-hours", "--all-users"],
  ["prune", "--all", "--cleanup", "--dry-run"],
  ["rollback"],
  ["savings", "--since", "30d"],
];

describe("token redaction", () => {
  // Each command runs twice, human and --json: one of the two in its own process (everything it
  // writes to its file descriptors), the other in-process through the CLI's output functions. Which
  // mode is spawned alternates from command to command, so both modes are checked at the process
  // boundary and every command is.
  it.each(commands.map((args, i) => ({ i, args, name: args.join(" ") })))("$name never shows the token", async ({ i, args }) => {
    for (const json of [false, true]) {
      // At the scenario's instant (inside quiet hours), so quiet-hours --execute stops "old" and
      // writes the journal whatever the machine's time of day.
      const r = await runCli([...args, "--verbose", "--now", NOW, "--config", configPath, "--url", sim.url, ...(json ? ["--json"] : [])], {
        env: { CODER_SESSION_TOKEN: TOKEN },
        cwd: dir,
        spawn: json === (i % 2 === 0),
      });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBeLessThan(8);
      expect(r.stdout).not.toContain(TOKEN);
      expect(r.stderr).not.toContain(TOKEN);
      expect(r.stderr.length).toBeGreaterThan(0); // --verbose logged something
    }
  });

  it("a rejected token is not echoed either", async () => {
    const bad = "Zq9-rejected-canary-0000000000";
    const r = await runCli(["workspaces", "--verbose", "--now", NOW, "--config", configPath, "--url", sim.url], { env: { CODER_SESSION_TOKEN: bad }, cwd: dir, spawn: true });
    expect(r.code).toBe(4);
    expect(r.stdout + r.stderr).not.toContain(bad);
  });

  it("the log file and the journal never contain the token", () => {
    const files = readdirSync(dir).filter((f) => f.startsWith("agents.log") || f.startsWith("journal"));
    expect(files).toContain("agents.log");
    for (const f of files) expect(readFileSync(join(dir, f), "utf8")).not.toContain(TOKEN);
    expect(existsSync(join(dir, "journal.ndjson"))).toBe(true);
  });
});

describe("a server (or proxy) that echoes the token in its error bodies", () => {
  const ECHO = "Ek8-echoed-canary-31d0c9b7e2";
  let echoSim: TestSim;
  let hook: TestWebhook;
  let edir: string;
  let econfig: string;

  beforeAll(async () => {
    const base = miniScenario();
    echoSim = await startSim({
      ...base,
      users: [{ username: "root", roles: ["owner"], token: ECHO }, ...(base.users ?? [])],
      workspaces: [
        { name: "a", owner: "alice", template: "python-dev", status: "running", started_at: "-3h", deadline: "+5h" },
        { name: "b", owner: "bob", template: "python-dev", status: "running", started_at: "-3h", deadline: "+5h" },
      ],
    });
    // Every stop POST fails with a body that reflects the request's token, as a misbehaving proxy would.
    await echoSim.setFaults({
      rules: [
        {
          route: "POST /api/v2/workspaces/{id}/builds",
          status: 400,
          body: { message: `bad request: Coder-Session-Token ${ECHO} rejected`, detail: `token=${ECHO}`, validations: [{ field: ECHO, detail: ECHO }] },
        },
      ],
    });
    hook = await startWebhook();
    edir = scratchDir();
    econfig = writeConfig(edir, {
      quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
      logging: { level: "DEBUG", file: join(edir, "agents.log") },
      journal: { path: join(edir, "journal.ndjson") },
      notifications: { slack_webhook: `${hook.url}/slack` },
    });
  });
  afterAll(async () => {
    await hook.close();
    await echoSim.close();
  });

  it("never reaches stdout (--json results, human), stderr, the log file, the journal or the notifications", async () => {
    for (const json of [true, false]) {
      const r = await runCli(["quiet-hours", "--execute", "--verbose", "--now", NOW, "--config", econfig, "--url", echoSim.url, ...(json ? ["--json"] : [])], {
        env: { CODER_SESSION_TOKEN: ECHO },
        cwd: edir,
        spawn: true,
      });
      expect(r.code, r.stderr).toBe(5); // every stop failed
      expect(r.stdout).not.toContain(ECHO);
      expect(r.stderr).not.toContain(ECHO);
      if (json) {
        const results = r.json<{ results: { outcome: string; error: string }[] }>().results;
        expect(results).toHaveLength(2);
        // The server's message is kept — with the token scrubbed out of it.
        for (const x of results) expect(x.error).toContain("bad request: Coder-Session-Token [REDACTED] rejected");
      }
    }
    const journal = readFileSync(join(edir, "journal.ndjson"), "utf8");
    expect(journal).toContain("[REDACTED]");
    expect(journal).not.toContain(ECHO);
    const log = readFileSync(join(edir, "agents.log"), "utf8");
    expect(log).toContain("[REDACTED]");
    expect(log).not.toContain(ECHO);
    expect(hook.to("/slack").length).toBeGreaterThan(0);
    expect(JSON.stringify(hook.requests)).not.toContain(ECHO);
    expect(JSON.stringify(hook.requests)).toContain("[REDACTED]");
  });
});
