/**
 * The dashboard's HTTP server (hono on @hono/node-server). Routes:
 *
 *   GET  /                          the page (src/serve/page.ts)
 *   GET  /assets/…                  its stylesheet and script, and Chart.js from node_modules
 *   GET  /api/snapshot              the latest snapshot (JSON) and the refresh status
 *   GET  /metrics                   Prometheus text: the snapshot's gauges and this process's API counters
 *   POST /api/apply/quiet-hours     only with --allow-apply: runs quiet-hours --execute
 *
 * Every request is answered from memory (the refresher talks to Coder on its own cadence), so
 * page loads and scrapes never add load on Coder. Requests whose Host header is not the listen
 * address are refused (DNS rebinding); the POST also needs the page's per-process token and JSON.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import type { Snapshot } from "./snapshot.js";
import { DASHBOARD_CSS, DASHBOARD_JS, dashboardHtml } from "./page.js";

export interface RefreshStatus {
  last_success_at: string | null;
  last_error: string | null;
  refreshes: { success: number; failure: number };
  last_duration_seconds: number | null;
}

export interface DashboardState {
  snapshot(): Snapshot | null;
  status(): RefreshStatus;
  metrics(): Promise<string>;
  /** Runs quiet-hours --execute; resolves to the result's text and data (null when apply is off). */
  apply: (() => Promise<{ status: number; body: Record<string, unknown> }>) | null;
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

function chartJsPath(): string {
  const req = createRequire(import.meta.url);
  // chart.js exports only its module builds; the UMD build sits beside them in dist/.
  return join(dirname(req.resolve("chart.js")), "chart.umd.min.js");
}

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

/** The Host header values this server answers to. */
export function allowedHosts(host: string, port: number): Set<string> {
  const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"];
  const names = loopback.includes(host) ? ["127.0.0.1", "localhost", "[::1]"] : [host.includes(":") ? `[${host}]` : host];
  return new Set(names.map((n) => `${n}:${port}`));
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDashboard(o: { host: string; port: number; refreshSeconds: number; state: DashboardState }): Promise<DashboardServer> {
  const chartJs = readFileSync(chartJsPath(), "utf8");
  const applyToken = o.state.apply ? randomBytes(24).toString("base64url") : null;
  const html = dashboardHtml({ allowApply: o.state.apply !== null, applyToken, refreshSeconds: o.refreshSeconds });
  let hosts = new Set<string>();
  let applying = false;

  const app = new Hono();
  app.use("*", async (c, next) => {
    if (!hosts.has(c.req.header("host") ?? "")) return c.text("unexpected Host header: use the address serve printed\n", 403);
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
  });
  app.get("/", (c) => c.html(html));
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/assets/dashboard.css", (c) => c.body(DASHBOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get("/assets/dashboard.js", (c) => c.body(DASHBOARD_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/assets/chart.umd.min.js", (c) => c.body(chartJs, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/api/snapshot", (c) => {
    const snapshot = o.state.snapshot();
    if (!snapshot) return c.json({ error: "no snapshot yet" }, 503);
    return c.json({ status: o.state.status(), snapshot });
  });
  app.get("/metrics", async (c) => c.body(await o.state.metrics(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }));
  app.post("/api/apply/quiet-hours", async (c) => {
    if (!o.state.apply || !applyToken) {
      return c.json({ error: "this dashboard is read-only: start `coder-agents serve --allow-apply` to allow running quiet-hours --execute from it" }, 403);
    }
    const given = c.req.header("x-apply-token") ?? "";
    if (!sameToken(given, applyToken)) return c.json({ error: "missing or wrong X-Apply-Token (use the button on the dashboard page)" }, 403);
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) return c.json({ error: "expected Content-Type: application/json" }, 415);
    if (applying) return c.json({ error: "an apply is already running" }, 409);
    applying = true;
    try {
      const r = await o.state.apply();
      return c.json(r.body, r.status as 200);
    } finally {
      applying = false;
    }
  });
  app.notFound((c) => c.text("not found\n", 404));

  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(o.host, port);
  const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
