// `npm run bench`: the main commands at deployment scale against the Coder simulator.
//
// Starts the simulator (as its own process) with a realistic generated deployment — 10,000 and then
// 50,000 workspaces (30 % running), 2,000 users, 50 groups, 5 organizations, 40 templates; each
// workspace with Coder's object bulk (~7 KB: resources, agents, apps, scripts), Coder's list order,
// 10 workspaces starting or stopping every second (churn) and 20 ms latency per request — runs each
// command as a process several times, and prints and writes bench/results.json: requests (from
// /__sim/stats), median wall time, peak RSS, and each command's floor (the fewest requests the
// Coder API allows for that job, and the wall time that floor implies at this latency and
// concurrency). Also: `--help` start-up time and a stop storm (500 stops).
//
// Options: --runs N (default 5), --only NAME (substring of a command name), --no-storm,
// --scale 10000,50000 (which deployment sizes; default both), --churn N (default 10 per second).
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { measureStartup } from "./startup.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}bin/coder-agents.js`;
const tmp = `${root}.tmp/bench`;
mkdirSync(tmp, { recursive: true });
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg("--runs", "5"));
const ONLY = arg("--only", "");
const STORM = !process.argv.includes("--no-storm");
const SCALES = arg("--scale", "10000,50000").split(",").map(Number);
const CHURN = Number(arg("--churn", "10"));
const LATENCY_MS = 20;
const PAGE_SIZE = 5000; // http.page_size default
const CONCURRENCY = 8; // http.concurrency default
const CLOCK = "2026-01-05T19:30:00Z"; // a Monday evening: inside 18:00–08:00 Europe/London quiet hours

async function startSim(scenarioPath, extra = []) {
  const child = spawn(process.execPath, [bin, "simulate", "--scenario", scenarioPath, "--frozen", "--port", "0", ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (l) => resolve(JSON.parse(l)));
    child.once("exit", (c) => reject(new Error(`simulator exited (${c})`)));
  });
  const api = async (method, path, token = ready.token) => {
    const r = await fetch(ready.url + path, { method, headers: { "Coder-Session-Token": token } });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status}`);
    return r.status === 204 ? null : r.json();
  };
  return { ...ready, child, api, stop: () => child.kill("SIGTERM") };
}

function runCli(args, env) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env, CODER_AGENTS_REPORT_RSS: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const rss = Number(/coder-agents-peak-rss-kb=(\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
      const cpuMs = Number(/coder-agents-cpu-us=(\d+)/.exec(stderr)?.[1] ?? 0) / 1000;
      resolve({ code, ms, rssMb: rss, cpuMs, stdout, stderr });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pages = (rows) => Math.max(1, Math.ceil(rows / PAGE_SIZE));
/** Wall time of `n` independent requests with `c` in flight, plus `chain` sequential ones. */
const wallFloor = (chain, fanOut = 0, c = CONCURRENCY) => (chain + Math.ceil(fanOut / c)) * LATENCY_MS;

async function main() {
  // Start-up first, on a quiet machine (no simulator running yet).
  const startup = measureStartup(21);
  const help = await runCli(["--help"], {});
  const has = (cmd) => new RegExp(`^\\s+${cmd}\\b`, "m").test(help.stdout);
  const deployments = [];
  for (const workspaces of SCALES) deployments.push(await benchDeployment(workspaces, has));

  let storm = null;
  if (STORM && has("quiet-hours")) storm = await stopStorm();

  const out = { startup_ms_median: Math.round(startup.median * 10) / 10, deployments, stop_storm: storm };
  writeFileSync(`${root}bench/results.json`, JSON.stringify(out, null, 2) + "\n");
  console.log(`\n--help start-up: median ${out.startup_ms_median} ms`);
  for (const d of deployments) {
    console.log(
      `\ncoder-agents benchmark — ${RUNS} runs each, ${LATENCY_MS} ms latency, ${d.workspaces.toLocaleString("en")} workspaces (${d.running.toLocaleString("en")} running, ~${d.bytes_per_workspace} bytes each), churn ${d.churn_per_second}/s, 2,000 users, 50 groups`,
    );
    const rows = d.commands.map((r) => [
      r.name,
      `${r.requests} / ${r.floor_requests} (${(r.requests / r.floor_requests).toFixed(2)}×)`,
      `${r.wall_ms_median} / ${r.floor_wall_ms} ms`,
      `${r.rss_mb_peak} MB`,
    ]);
    const head = ["command", "requests / floor", "wall median / floor", "peak RSS"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => r.map((c, i) => c.padEnd(w[i])).join("  ");
    console.log(line(head));
    for (const r of rows) console.log(line(r));
  }
  if (storm) console.log(`stop storm: ${storm.stops} stops in ${storm.seconds} s = ${storm.stops_per_second} stops/s (concurrency 5)`);
  console.log(`\nwrote bench/results.json`);
}

/** One realistic deployment of `workspaces` workspaces (30 % running): every command, RUNS times. */
async function benchDeployment(workspaces, has) {
  const scenarioPath = `${tmp}/deployment-${workspaces}.json`;
  writeFileSync(
    scenarioPath,
    JSON.stringify({
      clock: CLOCK,
      deployment: { version: "v2.24.0", licensed: true, default_quiet_hours: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true },
      generate: { workspaces, running: Math.round(workspaces * 0.3), users: 2000, groups: 50, organizations: 5, templates: 40, seed: 1 },
    }),
  );
  const cfgPath = `${tmp}/agents_config.json`;
  writeFileSync(
    cfgPath,
    JSON.stringify({ quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 }, safety: { max_stops_per_run: 100000 } }),
  );
  const t0 = Date.now();
  const sim = await startSim(scenarioPath, ["--latency-ms", String(LATENCY_MS), "--rate-limit", "0", "--churn", String(CHURN)]);
  console.error(`simulator ready in ${Date.now() - t0} ms at ${sim.url}`);

  // Deployment facts for the floors (read with the simulator's own API, outside the measurement).
  const running = (await sim.api("GET", "/api/v2/workspaces?q=status:running&limit=0")).workspaces;
  const all = await sim.api("GET", "/api/v2/workspaces?limit=1");
  const bytesPerWorkspace = Math.round(JSON.stringify(running[0] ?? {}).length / 100) * 100;
  const users = await sim.api("GET", "/api/v2/users?limit=1");
  const groups = await sim.api("GET", "/api/v2/groups");
  const runningOwners = new Set(running.map((w) => w.owner_name));
  // The group whose members own the most running workspaces: the realistic prune target.
  // Coder's built-in "Everyone" groups (id = organization id) are every member of an organization,
  // and share one name across organizations: a team group is the realistic target.
  const teams = groups.filter((g) => g.id !== g.organization_id);
  let group = teams[0];
  let groupOwners = 0;
  for (const g of teams) {
    const n = g.members.filter((m) => runningOwners.has(m.username)).length;
    if (n > groupOwners) [group, groupOwners] = [g, n];
  }

  const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token, CODER_AGENTS_CONFIG: cfgPath, XDG_STATE_HOME: `${tmp}/state`, NO_COLOR: "1" };
  const cases = [
    { name: "quiet-hours --categorize", args: ["quiet-hours", "--categorize", "--json"], floor: pages(running.length), wall: wallFloor(1) },
    { name: "quiet-hours --execute --dry-run", args: ["quiet-hours", "--execute", "--dry-run", "--json"], floor: pages(running.length), wall: wallFloor(1) },
    {
      name: "ttl-monitor --all --json",
      args: ["ttl-monitor", "--all", "--json"],
      // every workspace, plus the templates (their activity bump: Coder's lifecycle rules)
      floor: pages(all.count) + 1,
      wall: wallFloor(1, pages(all.count)),
    },
    {
      name: "autostop --list-pending",
      args: ["autostop", "--list-pending", "--json"],
      // running workspaces, plus what Coder's lifecycle rules need: templates (failure TTL,
      // dormancy, activity bump), entitlements (whether those template settings apply) and the
      // suspended users
      floor: pages(running.length) + 3,
      wall: wallFloor(1),
    },
    {
      name: "enterprise-quiet-hours --all-users",
      args: ["enterprise-quiet-hours", "--all-users", "--json"],
      // deployment config, entitlements, templates, the user listing, then every user's schedule
      floor: 3 + pages(users.count) + users.count,
      wall: wallFloor(1, users.count),
    },
    {
      name: `prune --all --include-group ${group.name}`,
      args: ["prune", "--all", "--include-group", group.name, "--json"],
      // groups, running workspaces, then the quiet hours of each selected owner
      floor: 1 + pages(running.length) + groupOwners,
      wall: wallFloor(1, groupOwners),
    },
  ];

  const results = [];
  for (const c of cases) {
    const cmd = c.args[0];
    if (!has(cmd) || (ONLY && !c.name.includes(ONLY))) continue;
    const walls = [];
    const rss = [];
    let requests = 0;
    for (let i = 0; i < RUNS; i++) {
      await fetch(`${sim.url}/__sim/stats/reset`, { method: "POST" });
      // Every rule is evaluated at the scenario's instant, never at the machine's time of day.
      const r = await runCli([...c.args, "--now", CLOCK], env);
      if (r.code !== 0) {
        console.error(`${c.name}: exit ${r.code}\n${r.stderr.slice(0, 2000)}`);
        process.exitCode = 1;
      }
      const stats = await (await fetch(`${sim.url}/__sim/stats`)).json();
      requests = stats.total;
      // Per run, so the spread of peak RSS and wall time is visible (the table shows the worst / median).
      console.error(`${c.name}: run ${i + 1}/${RUNS}: ${stats.total} requests, ${Math.round(r.ms)} ms (CPU ${Math.round(r.cpuMs)} ms), peak RSS ${r.rssMb.toFixed(1)} MB`);
      walls.push(r.ms);
      rss.push(r.rssMb);
    }
    results.push({
      name: c.name,
      requests,
      floor_requests: c.floor,
      wall_ms_median: Math.round(median(walls)),
      floor_wall_ms: c.wall,
      rss_mb_peak: Math.round(Math.max(...rss) * 10) / 10,
    });
  }
  sim.stop();
  return { workspaces, running: running.length, bytes_per_workspace: bytesPerWorkspace, churn_per_second: CHURN, commands: results };
}

const STORM_CLOCK = "2026-01-05T23:00:00Z";
const STORM_SIZE = 500;

/** 500 running workspaces in quiet hours past grace, stopped by one `quiet-hours --execute`. */
async function stopStorm() {
  const users = Array.from({ length: 50 }, (_, i) => ({ username: `user${i}`, roles: ["member"], organizations: ["engineering"], token: `user${i}-token` }));
  const scenario = {
    clock: STORM_CLOCK,
    deployment: { version: "v2.24.0", licensed: true, build_delay_ms: 200 },
    organizations: [{ name: "engineering" }],
    users: [{ username: "admin", roles: ["owner"], organizations: ["engineering"], token: "admin-token" }, ...users],
    templates: [{ name: "dev", organization: "engineering", default_ttl_ms: 0 }],
    workspaces: Array.from({ length: STORM_SIZE }, (_, i) => ({
      name: `ws${i}`,
      owner: `user${i % 50}`,
      template: "dev",
      status: "running",
      started_at: "-6h",
      deadline: null,
    })),
  };
  const path = `${tmp}/storm.json`;
  writeFileSync(path, JSON.stringify(scenario));
  const cfgPath = `${tmp}/storm-config.json`;
  writeFileSync(
    cfgPath,
    JSON.stringify({
      quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
      safety: { max_stops_per_minute: 100000, max_stops_per_run: 1000 },
      autostop: { batch_size: 100 },
    }),
  );
  const sim = await startSim(path, ["--latency-ms", String(LATENCY_MS), "--rate-limit", "0"]);
  const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.token, CODER_AGENTS_CONFIG: cfgPath, XDG_STATE_HOME: `${tmp}/storm-state`, NO_COLOR: "1" };
  // The instant is fixed (the scenario's clock, 23:00 in London: inside quiet hours, grace over),
  // so the storm stops all 500 workspaces whatever the machine's time of day.
  const r = await runCli(["quiet-hours", "--execute", "--json", "--now", STORM_CLOCK], env);
  sim.stop();
  let stopped = 0;
  try {
    stopped = JSON.parse(r.stdout).summary.succeeded;
  } catch {
    console.error(`stop storm: could not read the summary (exit ${r.code}): ${r.stderr.slice(0, 1000)}`);
    process.exitCode = 1;
  }
  if (stopped !== STORM_SIZE) {
    console.error(`stop storm: FAILED — expected ${STORM_SIZE} stops, got ${stopped} (exit ${r.code})`);
    process.exitCode = 1;
  }
  const seconds = Math.round(r.ms / 10) / 100;
  return { stops: stopped, seconds, stops_per_second: Math.round((stopped / (r.ms / 1000)) * 10) / 10 };
}

await main();
