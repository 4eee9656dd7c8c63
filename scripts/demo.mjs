// `npm run demo`: starts the embedded Coder simulator with the shipped `demo` scenario, runs the
// main jobs against it with the shipped agents_config.json, prints their real output and stops
// the simulator. No manual step; it ends by itself.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}bin/coder-agents.js`;
const scenario = JSON.parse(readFileSync(`${root}scenarios/demo.json`, "utf8"));
const clock = new Date(scenario.clock ?? Date.now());
const nextMorning = new Date(clock.getTime() + 14 * 3600 * 1000).toISOString(); // 09:30 the next day

const sim = spawn(process.execPath, [bin, "simulate", "--scenario", "demo", "--frozen"], { stdio: ["ignore", "pipe", "inherit"] });
const ready = await new Promise((resolve, reject) => {
  const rl = createInterface({ input: sim.stdout });
  rl.once("line", (line) => resolve(JSON.parse(line)));
  sim.once("exit", (code) => reject(new Error(`simulator exited early (${code})`)));
});

const available = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" }).stdout;
const has = (cmd) => new RegExp(`^\\s+${cmd}\\b`, "m").test(available);
const env = {
  ...process.env,
  CODER_URL: ready.url,
  CODER_SESSION_TOKEN: ready.token,
  CODER_AGENTS_CONFIG: `${root}agents_config.json`,
  XDG_STATE_HOME: `${root}.tmp/demo-state`,
};

// The simulator's clock is frozen at the scenario's instant; every command evaluates its rules at
// that same instant with --now (and once more the next morning, to show the daytime categories).
const at = scenario.clock ?? new Date().toISOString();
const evening = [
  ["workspaces", ["workspaces", "--now", at]],
  ["quiet-hours", ["quiet-hours", "--status", "--now", at]],
  ["quiet-hours", ["quiet-hours", "--categorize", "--now", at]],
  ["quiet-hours", ["quiet-hours", "--execute", "--dry-run", "--now", at]],
  ["ttl-monitor", ["ttl-monitor", "--all", "--now", at]],
  ["autostop", ["autostop", "--list-pending", "--now", at]],
  ["enterprise-quiet-hours", ["enterprise-quiet-hours", "--now", at]],
  ["prune", ["prune", "--all", "--now", at]],
];
const morning = [["quiet-hours", ["quiet-hours", "--categorize", "--now", nextMorning]]];

/** The next morning: the clock moves to 09:00 and mei starts her workspace, as a user would. */
async function nextDay() {
  const control = (path, body) =>
    fetch(`${ready.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  await control("/__sim/clock", { now: new Date(clock.getTime() + 13.5 * 3600 * 1000).toISOString(), frozen: true });
  const token = ready.users.mei;
  const api = (path, init = {}) => fetch(`${ready.url}${path}`, { ...init, headers: { "Coder-Session-Token": token, "Content-Type": "application/json" } });
  const ws = await (await api("/api/v2/users/mei/workspace/daily-standup")).json();
  await api(`/api/v2/workspaces/${ws.id}/builds`, { method: "POST", body: JSON.stringify({ transition: "start", reason: "dashboard" }) });
  for (let i = 0; i < 50; i++) {
    const w = await (await api(`/api/v2/workspaces/${ws.id}`)).json();
    if (w.latest_build.status === "running") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await control("/__sim/clock", { now: nextMorning, frozen: true });
  console.log(`\n--- next morning: mei started daily-standup at 09:00; the evening's workspaces are still running ---`);
}

let failed = 0;
try {
  console.log(`Coder simulator (demo scenario) at ${ready.url}, clock ${scenario.clock}`);
  console.log(`Every command below evaluates its rules at the scenario's instant with --now ${at}; against`);
  console.log(`\`coder-agents simulate\` do the same, or the machine's time is used ("Expired 331d ago").\n`);
  const run = (steps) => {
    for (const [cmd, args] of steps) {
      if (!has(cmd)) continue;
      console.log(`\n$ coder-agents ${args.join(" ")}`);
      const r = spawnSync(process.execPath, [bin, ...args], { env, stdio: "inherit" });
      if (r.status !== 0) {
        console.log(`(exit ${r.status})`);
        if (r.status !== 6) failed++;
      }
    }
  };
  run(evening);
  await nextDay();
  run(morning);
} finally {
  sim.kill("SIGTERM");
}
process.exitCode = failed ? 1 : 0;
