import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, scratchDir } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

const INSTALL = join(ROOT, "install.sh");
// The installs share the npm cache of the user running the suite (each install's HOME is a fresh
// scratch dir, so without this every install would start from an empty cache): `npm test` has
// just run `npm ci` into it, so install.sh's `npm ci --prefer-offline` finds every package there,
// as on an operator's machine, and a run does not download the dependencies again or wait on a
// slow registry. No update check either: it is one more registry request per npm call.
const NPM_ENV = { npm_config_cache: process.env.npm_config_cache || join(homedir(), ".npm"), npm_config_update_notifier: "false" };

function exec(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous on purpose: the simulator answering the connection check runs in this process.
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: scratchDir(),
      env: { PATH: process.env.PATH ?? "", HOME: scratchDir(), ...NPM_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const sh = (args: string[], env: Record<string, string> = {}) => exec("bash", [INSTALL, ...args], env);

describe("install.sh", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim(miniScenario());
  });
  afterAll(async () => sim.close());

  it("installs into a prefix twice in a row: wrapper, production copy, oneshot units + timers, connection check", { timeout: 180_000 }, async () => {
    const dir = scratchDir();
    const prefix = join(dir, "prefix");
    const units = join(dir, "systemd");
    const args = ["--skip-build", "--prefix", prefix, "--systemd-dir", units, "--user", "svc", "--config", "/etc/ca/cfg.json"];
    const env = { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.ownerToken };
    for (let round = 1; round <= 2; round++) {
      const r = await sh(args, env);
      expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`✅ Connected to ${sim.url}`);
      expect(r.stdout).toContain("systemctl enable --now coder-agents-quiet-hours.timer");
    }
    const bin = join(prefix, "bin", "coder-agents");
    const version = spawnSync(bin, ["--version"], { encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // Production copy: no dev dependencies, no staging leftovers from the swap.
    expect(existsSync(join(prefix, "lib", "coder-agents", "node_modules", "commander"))).toBe(true);
    expect(existsSync(join(prefix, "lib", "coder-agents", "node_modules", "vitest"))).toBe(false);
    expect(readdirSync(join(prefix, "lib"))).toEqual(["coder-agents"]);
    // The installed command works against Coder without the checkout.
    const ws = await exec(bin, ["workspaces", "--json"], env);
    expect(ws.code, ws.stderr).toBe(0);
    expect(JSON.parse(ws.stdout)).toHaveProperty("workspaces");

    const service = readFileSync(join(units, "coder-agents-quiet-hours.service"), "utf8");
    expect(service).toContain("Type=oneshot");
    expect(service).toContain(`ExecStart=${bin} quiet-hours --execute`);
    expect(service).toContain("User=svc");
    expect(service).toContain("Environment=CODER_AGENTS_CONFIG=/etc/ca/cfg.json");
    expect(service).not.toMatch(/^Restart=/m);
    // State in the StateDirectory for system units (/var/lib) and user units (--systemd-dir ~/.config/systemd/user)
    // alike: a hard-coded /var/lib is read-only for a user service, so every run failed to journal or lock.
    for (const name of ["quiet-hours", "autostop", "ttl-report"]) {
      const unit = readFileSync(join(units, `coder-agents-${name}.service`), "utf8");
      expect(unit).toMatch(/^StateDirectory=coder-agents\nStateDirectoryMode=0700$/m);
      expect(unit).toMatch(/^Environment=XDG_STATE_HOME=%S$/m);
      expect(unit).toMatch(/^LogsDirectory=coder-agents$/m);
    }
    expect(service.split("\n").filter((l) => !l.startsWith("#")).join("\n")).not.toMatch(/@[A-Z_]+@/);
    const timer = readFileSync(join(units, "coder-agents-quiet-hours.timer"), "utf8");
    expect(timer).toContain("OnCalendar=*:0/15");
    expect(timer).toContain("Unit=coder-agents-quiet-hours.service");
    expect(readdirSync(units).sort()).toEqual([
      "coder-agents-autostop.service",
      "coder-agents-autostop.timer",
      "coder-agents-quiet-hours.service",
      "coder-agents-quiet-hours.timer",
      "coder-agents-ttl-report.service",
      "coder-agents-ttl-report.timer",
    ]);
    expect(readFileSync(join(prefix, "share", "coder-agents", "cron-examples.txt"), "utf8")).toContain(`${bin} quiet-hours --execute`);
  });

  it("under umask 000 nothing it installs is group- or world-writable", { timeout: 180_000 }, async () => {
    const dir = scratchDir();
    const prefix = join(dir, "prefix");
    const units = join(dir, "systemd");
    const r = await exec("bash", ["-c", 'umask 000 && exec bash "$0" "$@"', INSTALL, "--skip-build", "--no-check", "--prefix", prefix, "--systemd-dir", units]);
    expect(r.code, r.stderr).toBe(0);
    const loose: string[] = [];
    let entries = 0;
    const walk = (p: string) => {
      const st = lstatSync(p);
      entries++;
      if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0) loose.push(`${p} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    };
    walk(prefix);
    walk(units);
    expect(entries).toBeGreaterThan(100);
    expect(loose).toEqual([]);
    expect(lstatSync(join(prefix, "bin", "coder-agents")).mode & 0o777).toBe(0o755);
  });

  it("--help, unknown options and a too-old Node", async () => {
    const help = await sh(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: ./install.sh [options]");
    const bad = await sh(["--frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --frobnicate");
    const fake = join(scratchDir(), "old-node");
    writeFileSync(fake, "#!/bin/sh\necho 20.17.0\n");
    chmodSync(fake, 0o755);
    const old = await sh(["--node", fake, "--skip-build", "--no-systemd", "--prefix", join(scratchDir(), "p")]);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain("Node.js >= 20.18.0 is required");
  });

  it("passes shellcheck (when shellcheck is installed; otherwise bash -n)", () => {
    const has = spawnSync("sh", ["-c", "command -v shellcheck"], { encoding: "utf8" }).status === 0;
    if (has) {
      const r = spawnSync("shellcheck", [INSTALL], { encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    } else {
      console.warn("shellcheck is not installed: checking install.sh with bash -n only");
      const r = spawnSync("bash", ["-n", INSTALL], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
  });
});
