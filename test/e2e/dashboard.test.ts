/**
 * `serve` in a real browser: headless Debian Chromium (playwright-core) against the dashboard
 * serving the demo simulator at a fixed --now. The timeline shows the demo's workspaces at the
 * right hours, the savings chart renders the journal's weeks, the console stays clean, and the
 * token never reaches the browser. Writes test-results/dashboard.png for review.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentSchema } from "../../src/output/schema.js";
import { BIN, ROOT, clockEnv, scratchDir, writeConfig } from "../support/cli.js";
import { checkExposition, sampleValue } from "../support/prom-text.js";
import { startSim, type TestSim } from "../support/sim.js";

/** What the page's globals look like to the code run in it with page.evaluate (no DOM lib in this project's types). */
interface PageGlobals {
  Chart: { getChart(id: string): { data: { labels: string[]; datasets: { data: (number | number[])[] }[] }; scales: { x: { ticks: { label: string }[] } } } };
  document: { getElementById(id: string): { width: number; height: number; getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
}

const NOW = "2026-01-05T19:30:00Z";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

interface Served {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts `coder-agents serve` and resolves with its URL (the first stdout line, --json). */
function serve(args: string[], env: Record<string, string>, serveArgs: string[] = []): Promise<Served> {
  const proc = spawn(process.execPath, [BIN, "--json", "--now", NOW, ...args, "serve", "--listen", "127.0.0.1:0", ...serveArgs], {
    env: { ...clockEnv(), PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once("line", (line) => resolve({ proc, url: (documentSchema("serve").parse(JSON.parse(line)) as { url: string }).url, stderr: () => err }));
    proc.once("exit", (code) => reject(new Error(`serve exited early (${code}): ${err}`)));
  });
}

function stop(s: Served): Promise<number | null> {
  return new Promise((resolve) => {
    s.proc.once("exit", (code) => resolve(code));
    s.proc.kill("SIGTERM");
  });
}

/** The demo simulator (frozen at its clock), a journal, a config and the environment `serve` runs with. */
interface Deployment {
  sim: TestSim;
  config: string;
  env: Record<string, string>;
}

/** Journal: three weeks of stops before the demo evening (hand-computed savings below), and their runs. */
async function writeJournal(sim: TestSim, path: string): Promise<void> {
  const info = async (key: string) => {
    const [owner, name] = key.split("/");
    const w = (await (await sim.api(`/api/v2/users/${owner}/workspace/${name}`)).json()) as { id: string; template_name: string; organization_name: string };
    return { id: w.id, owner: owner!, name: name!, template: w.template_name, organization: w.organization_name };
  };
  const lines: object[] = [];
  const stopRun = async (run_id: string, at: string, stops: [string, number][]) => {
    lines.push({ type: "run", v: 1, run_id, command: "quiet-hours", mode: "execute", now: at, config_hash: "x", started_at: at, transition: "stop", planned: stops.length });
    for (const [key, deadlineHours] of stops) {
      lines.push({
        type: "workspace", v: 1, run_id, at, action: "stop", workspace: await info(key), category: "quiet_hours_stopping", reasons: ["test"],
        outcome: "stopped", error: null, build_id: `journal-only-${run_id}-${key}`,
        evidence: { deadline: new Date(Date.parse(at) + deadlineHours * 3_600_000).toISOString(), max_deadline: null },
      });
    }
    lines.push({ type: "run-end", v: 1, run_id, at, summary: { planned: stops.length, succeeded: stops.length, skipped: 0, failed: 0 }, interrupted: null, journal_error: null });
  };
  // 2025-W51: 8 h + 4 h; 2026-W01: 10 h; 2026-W02: 12 h deadline, but priya started it at 16:30 (the demo's build): 10.5 h.
  await stopRun("20251215T190000Z-aaaaaa", "2025-12-15T19:00:00Z", [["alice/python-api", 8], ["bob/api-gateway", 4]]);
  await stopRun("20251229T190000Z-bbbbbb", "2025-12-29T19:00:00Z", [["alice/python-api", 10]]);
  await stopRun("20260105T060000Z-cccccc", "2026-01-05T06:00:00Z", [["priya/model-training", 12]]);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n", { mode: 0o600 });
}

const sims: TestSim[] = [];
async function deployment(): Promise<Deployment> {
  const sim = await startSim("demo", { frozenClock: true });
  sims.push(sim);
  const dir = scratchDir();
  const journal = join(dir, "journal.ndjson");
  await writeJournal(sim, journal);
  const config = writeConfig(dir, {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1, excluded_users: ["admin", "on-call-engineer"] },
    journal: { path: journal },
    cost: { currency: "USD", default_per_hour: 0.5, per_hour: [] },
  });
  return { sim, config, env: { ...sim.env(), HOME: dir, XDG_STATE_HOME: join(dir, "state"), XDG_CONFIG_HOME: join(dir, "config") } };
}

/** Shared by the read-only cases; a case that changes the simulator or the journal gets its own. */
let shared: Deployment;
beforeAll(async () => {
  shared = await deployment();
});
afterAll(async () => {
  for (const sim of sims) await sim.close();
});

// Concurrent: the refresh case mostly waits for serve's shortest interval (10 s) while the browser
// case works; the cases share no simulator state they change.
describe.concurrent("serve (dashboard) in headless Chromium", () => {
  it("shows the demo's stops at the right hours, renders the savings chart, logs no console errors, never sends the token", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH; the dashboard test needs a real browser`);
    }
    const { sim, config, env } = shared;
    const served = await serve(["--config", config], env);
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      const bodies: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
      page.on("response", async (r) => {
        expect(new URL(r.url()).origin).toBe(new URL(served.url).origin); // nothing from the network
        if (r.request().method() === "GET") bodies.push(await r.text().catch(() => ""));
      });
      await page.goto(served.url);
      await page.waitForSelector("body[data-loaded=true]", { timeout: 15_000 });

      // The timeline table: every running workspace due within 24 h, at its local (London) time.
      const rows = await page.$$eval("#timeline-table tbody tr", (trs) =>
        trs.map((tr) => [tr.getAttribute("data-workspace"), tr.querySelector(".stops-at")!.textContent, tr.children[6]!.textContent]),
      );
      expect(rows).toEqual([
        ["admin/admin-console", "Mon 21:30 GMT", "ttl"],
        ["alice/python-api", "Mon 19:00 GMT", "quiet-hours-policy"],
        ["alice/scratch", "Mon 19:00 GMT", "quiet-hours-policy"],
        ["bob/api-gateway", "Mon 19:00 GMT", "quiet-hours-policy"],
        ["dana/frontend", "Mon 19:00 GMT", "quiet-hours-policy"],
        ["erik/ops-console", "Mon 19:45 GMT", "quiet-hours-policy"],
        ["mei/notebook", "Mon 20:00 GMT", "quiet-hours-policy"],
        ["priya/model-training", "Mon 19:00 GMT", "quiet-hours-policy"],
      ]);
      // The same stops in each owner's own zone (their Coder quiet-hours schedule): bob is in Chicago.
      const ownerTimes = await page.$$eval("#timeline-table tbody tr", (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute("data-workspace"), tr.querySelector(".owner-time")!.getAttribute("title") + " " + tr.querySelector(".owner-time")!.textContent])));
      expect(ownerTimes["bob/api-gateway"]).toBe("America/Chicago Mon 13:00 CST");
      expect(ownerTimes["alice/python-api"]).toBe("Europe/London Mon 19:00 GMT");
      expect(ownerTimes["mei/notebook"]).toBe("UTC Mon 20:00 UTC");
      const later = await page.$$eval("#later-table tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-workspace")));
      expect(later).toEqual(["on-call-engineer/pager-box"]);

      // The timeline chart: one bar per workspace from now to its stop, in hours (overdue = 0), axis in local time.
      const timeline = await page.evaluate(() => {
        const c = (globalThis as unknown as PageGlobals).Chart.getChart("timeline");
        return { labels: c.data.labels, bars: c.data.datasets[0]!.data as number[][], ticks: c.scales.x.ticks.map((t) => t.label) };
      });
      expect(Object.fromEntries(timeline.labels.map((l, i) => [l, timeline.bars[i]![1]]))).toEqual({
        "admin/admin-console": 2,
        "alice/python-api": 0,
        "alice/scratch": 0,
        "bob/api-gateway": 0,
        "dana/frontend": 0,
        "erik/ops-console": 0.25,
        "mei/notebook": 0.5,
        "priya/model-training": 0,
      });
      expect(timeline.ticks[0]).toBe("19:30");
      expect(timeline.ticks).toContain("21:30");

      // Compliance cards from ttl-monitor.
      const cards = await page.$$eval("#compliance-cards .card", (cs) => Object.fromEntries(cs.map((c) => [c.getAttribute("data-status"), Number(c.querySelector(".n")!.textContent)])));
      expect(cards.expired).toBe(1);
      expect(cards.expiring_soon).toBe(1);

      // Savings per week: the hand-computed hours and cost (0.5/h), drawn on the canvas.
      const savings = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        const c = g.Chart.getChart("savings");
        const canvas = g.document.getElementById("savings");
        const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) painted++;
        return { labels: c.data.labels, hours: c.data.datasets[0]!.data as number[], cost: c.data.datasets[1]!.data as number[], painted, width: canvas.width };
      });
      expect(savings.labels).toEqual(["2025-W51", "2026-W01", "2026-W02"]);
      expect(savings.hours).toEqual([12, 10, 10.5]);
      expect(savings.cost).toEqual([6, 5, 5.25]);
      expect(savings.width).toBeGreaterThan(100);
      expect(savings.painted).toBeGreaterThan(1000);
      expect(await page.textContent("#savings-total")).toContain("32.5 workspace-hours, USD 16.25");

      // Last runs from the journal, newest first.
      const runs = await page.$$eval("#runs-table tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-run")));
      expect(runs).toEqual(["20260105T060000Z-cccccc", "20251229T190000Z-bbbbbb", "20251215T190000Z-aaaaaa"]);
      // Read-only: no apply button.
      expect(await page.isHidden("#apply-section")).toBe(true);

      mkdirSync(join(ROOT, "test-results"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-results", "dashboard.png"), fullPage: true });

      expect(problems).toEqual([]);
      expect(bodies.length).toBeGreaterThanOrEqual(4);
      for (const b of bodies) expect(b).not.toContain(sim.ownerToken);
    } finally {
      await browser?.close();
      expect(await stop(served)).toBe(143);
    }
  }, 90_000);

  it("serves /metrics and refuses other Host headers and the apply POST when read-only", async () => {
    const { config, env } = shared;
    const served = await serve(["--config", config], env);
    try {
      const m = await fetch(`${served.url}metrics`);
      expect(m.headers.get("content-type")).toContain("text/plain");
      const fams = checkExposition(await m.text());
      expect(sampleValue(fams, "coder_agents_ttl_workspaces", { status: "expired" })).toBe(1);
      expect(sampleValue(fams, "coder_agents_pending_stops", { cause: "quiet-hours-policy" })).toBe(7);
      expect(sampleValue(fams, "coder_agents_savings_workspace_seconds", { policy: "quiet-hours" })).toBe(32.5 * 3600);
      expect(sampleValue(fams, "coder_agents_runs_total", { command: "serve", result: "success" })).toBe(1);
      expect(sampleValue(fams, "coder_agents_api_requests_total", { method: "GET", status: "200" })).toBeGreaterThan(0);
      const post = await fetch(`${served.url}api/apply/quiet-hours`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(post.status).toBe(403);
      expect(((await post.json()) as { error: string }).error).toContain("--allow-apply");
      const { request } = await import("node:http");
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(served.url);
        request({ host: u.hostname, port: u.port, path: "/api/snapshot", headers: { Host: "attacker.example" } }, (res) => resolve(res.statusCode!)).on("error", reject).end();
      });
      expect(status).toBe(403);
    } finally {
      expect(await stop(served)).toBe(143);
    }
  });

  it("a failed refresh keeps the last snapshot, shows the error and is counted in /metrics", async () => {
    // Its own simulator: the outage must not reach the other cases.
    const { sim, config, env } = await deployment();
    const served = await serve(["--config", config], env, ["--interval", "10"]);
    try {
      const first = (await (await fetch(`${served.url}api/snapshot`)).json()) as { snapshot: { timeline: unknown[] } };
      await sim.setFaults({ outage: true });
      let body: { status: { last_error: string | null; refreshes: { failure: number } }; snapshot: { timeline: unknown[] } } | null = null;
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 500));
        body = (await (await fetch(`${served.url}api/snapshot`)).json()) as typeof body;
        if (body!.status.refreshes.failure > 0) break;
      }
      expect(body!.status.refreshes.failure).toBe(1);
      expect(body!.status.last_error).toBeTruthy();
      expect(body!.snapshot.timeline).toEqual(first.snapshot.timeline);
      const fams = checkExposition(await (await fetch(`${served.url}metrics`)).text());
      expect(sampleValue(fams, "coder_agents_runs_total", { command: "serve", result: "failure" })).toBe(1);
      expect(sampleValue(fams, "coder_agents_runs_total", { command: "serve", result: "success" })).toBe(1);
    } finally {
      await sim.clearFaults();
      expect(await stop(served)).toBe(143);
    }
  }, 60_000);

  it("--allow-apply: the POST needs the page's token, then runs quiet-hours --execute on the simulator", async () => {
    // Its own simulator and journal: the stops it makes must not reach the other cases.
    const { sim, config, env } = await deployment();
    const applying = await serve(["--config", config], env, ["--allow-apply"]);
    try {
      const html = await (await fetch(applying.url)).text();
      const token = /<meta name="apply-token" content="([^"]+)">/.exec(html)?.[1];
      expect(token).toBeTruthy();
      expect(html).not.toContain(sim.ownerToken);
      const noToken = await fetch(`${applying.url}api/apply/quiet-hours`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(noToken.status).toBe(403);
      await sim.resetStats();
      const ok = await fetch(`${applying.url}api/apply/quiet-hours`, { method: "POST", headers: { "Content-Type": "application/json", "X-Apply-Token": token! }, body: "{}" });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { exit_code: number; summary: { planned: number; succeeded: number } };
      expect(body.exit_code).toBe(0);
      expect(body.summary.succeeded).toBeGreaterThan(0);
      expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"]).toBe(body.summary.succeeded);
    } finally {
      expect(await stop(applying)).toBe(143);
    }
    // Not on a non-loopback address.
    const refused = spawn(process.execPath, [BIN, "--config", config, "serve", "--listen", "0.0.0.0:0", "--allow-apply"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let refusedErr = "";
    refused.stderr.on("data", (d: Buffer) => (refusedErr += d.toString()));
    const code = await new Promise<number | null>((r) => refused.once("exit", r));
    expect(code).toBe(2);
    expect(refusedErr).toContain("loopback");
  });
});
