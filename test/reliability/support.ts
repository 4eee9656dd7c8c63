/**
 * Shared pieces of the reliability suite (issue 8): a quiet-hours scenario whose running
 * workspaces are all due for their stop, a config writer, the CLI runner, the invariants every
 * case checks (no workspace stopped twice, no journal record lost), and a tiny fault proxy for
 * faults the simulator cannot inject by itself (429 with a short Retry-After, a stop that is
 * applied but whose response never arrives, a slow stop).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { readJournal, type JournalWorkspaceRecord } from "../../src/exec/journal.js";
import { runCli, scratchDir, writeConfig, type CliOptions, type CliResult } from "../support/cli.js";
import type { SimState, TestSim } from "../support/sim.js";

/** Monday 2026-01-05 19:30 GMT: inside 18:00–08:00 Europe/London, the 1 h grace is over. */
export const NOW = "2026-01-05T19:30:00Z";
export const POSTS = "POST /api/v2/workspaces/{id}/builds";

/** A scenario with `n` running workspaces of alice (w01…wNN), all started before the window. */
export function dueScenario(n: number): Record<string, unknown> {
  return {
    clock: NOW,
    organizations: [{ name: "engineering" }],
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token" },
      { username: "alice", token: "alice-token" },
    ],
    templates: [{ name: "python-dev", organization: "engineering" }],
    workspaces: Array.from({ length: n }, (_v, i) => ({
      name: `w${String(i + 1).padStart(2, "0")}`,
      owner: "alice",
      template: "python-dev",
      started_at: "2026-01-05T09:00:00Z",
      deadline: null,
    })),
  };
}

/** A config for quiet hours 18:00–08:00 London, fast rates, the journal in `dir`, plus `extra` sections merged in. */
export function reliabilityConfig(dir: string, extra: Record<string, Record<string, unknown>> = {}, name = "agents_config.json"): { path: string; journal: string } {
  const base: Record<string, Record<string, unknown>> = {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
    safety: { max_stops_per_minute: 1000 },
    journal: { path: join(dir, `${name}.journal.ndjson`) },
  };
  for (const [k, v] of Object.entries(extra)) base[k] = { ...base[k], ...v };
  const journal = String(base.journal!.path);
  return { path: writeConfig(dir, base, name), journal };
}

/** Runs the built CLI against `url` as the owner, with `--now NOW`. */
export function cli(url: string, config: string, args: string[], opts: CliOptions & { cwd: string }): Promise<CliResult> {
  return runCli(["--url", url, "--config", config, "--now", NOW, ...args], { timeoutMs: 45_000, ...opts, env: { CODER_SESSION_TOKEN: "owner-token", ...opts.env } });
}

/** Adds running workspaces of alice, due for their stop at NOW; returns every workspace's id by name. */
export async function addDue(sim: TestSim, ...names: string[]): Promise<Record<string, string>> {
  for (const name of names) await sim.addWorkspace({ name, owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
  const ids: Record<string, string> = {};
  for (const w of (await sim.state()).workspaces) ids[w.name] = w.id;
  return ids;
}

/** The builds endpoint of one workspace (what fault rules and proxies match on). */
export const buildsPath = (id: string) => `/api/v2/workspaces/${id}/builds`;

/** Stop builds per "owner/name", counting only those this tool created (reason cli). */
export function stopBuilds(state: SimState): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of state.workspaces) {
    const n = w.builds.filter((b) => b.transition === "stop" && b.reason === "cli").length;
    if (n > 0) out.set(`${w.owner}/${w.name}`, n);
  }
  return out;
}

/** Asserts no workspace got more than one stop build from this tool; returns the stopped ones. */
export function stoppedOnce(state: SimState): string[] {
  const m = stopBuilds(state);
  const twice = [...m].filter(([, n]) => n > 1).map(([k, n]) => `${k}: ${n} stops`);
  if (twice.length > 0) throw new Error(`workspaces stopped more than once: ${twice.join(", ")}`);
  return [...m.keys()].sort();
}

/** The journal's workspace records (the file must parse with readJournal, no damaged lines). */
export function journalRecords(path: string): JournalWorkspaceRecord[] {
  const j = readJournal(path);
  if (j.skipped > 0) throw new Error(`${path}: ${j.skipped} damaged line(s)`);
  return j.records.filter((r): r is JournalWorkspaceRecord => r.type === "workspace");
}

/**
 * No journal record lost: every workspace the simulator received a stop for has a record, and
 * that record says "stopped" unless `uncertain` allows a failure that tells the operator to look.
 */
export function assertJournalCovers(records: readonly JournalWorkspaceRecord[], stopped: readonly string[], uncertain = false): void {
  for (const key of stopped) {
    const mine = records.filter((r) => `${r.workspace.owner}/${r.workspace.name}` === key);
    if (mine.length === 0) throw new Error(`journal has no record for ${key}, which the simulator stopped`);
    const ok = mine.some((r) => r.outcome === "stopped" || (uncertain && r.outcome === "failed" && /verify this workspace by hand/.test(r.error ?? "")));
    if (!ok) throw new Error(`journal records for ${key} do not tell the stop happened: ${JSON.stringify(mine.map((r) => [r.outcome, r.error]))}`);
  }
}

export { scratchDir };

/** What the proxy does with one request. */
export type ProxyAction =
  | { kind: "pass" }
  /** Answer without forwarding. */
  | { kind: "reply"; status: number; headers?: Record<string, string>; body: unknown }
  /** Forward after a delay (the client may have given up by then: the server still gets it). */
  | { kind: "delay"; ms: number }
  /** Forward, let the server act, then cut the client's connection instead of answering. */
  | { kind: "forward-then-drop" };

export interface ProxyRequest {
  method: string;
  path: string;
  /** Requests seen so far for this "METHOD path" (1 for the first). */
  seen: number;
}

export interface FaultProxy {
  url: string;
  /** "METHOD path" → requests the proxy received. */
  seen: Map<string, number>;
  close(): Promise<void>;
}

/** A loopback HTTP proxy in front of `target` that applies `decide` to each request. */
export async function startFaultProxy(target: string, decide: (r: ProxyRequest) => ProxyAction): Promise<FaultProxy> {
  const seen = new Map<string, number>();
  const sockets = new Set<Socket>();
  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length", "keep-alive"].includes(k)) headers.set(k, v);
    }
    const init: RequestInit = { method: req.method ?? "GET", headers };
    if (body.length > 0) init.body = body;
    const res = await fetch(`${target}${req.url ?? "/"}`, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
    const key = `${req.method ?? "GET"} ${path}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const action = decide({ method: req.method ?? "GET", path, seen: n });
    if (action.kind === "reply") {
      const text = JSON.stringify(action.body);
      res.writeHead(action.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...action.headers });
      res.end(text);
      return;
    }
    if (action.kind === "delay") await new Promise((r) => setTimeout(r, action.ms));
    const out = await forward(req, body);
    if (action.kind === "forward-then-drop") {
      req.socket.destroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return;
    const h: Record<string, string> = {};
    out.headers.forEach((v, k) => {
      if (!["content-length", "connection", "keep-alive", "transfer-encoding"].includes(k)) h[k] = v;
    });
    res.writeHead(out.status, { ...h, "Content-Length": Buffer.byteLength(out.text) });
    res.end(out.text);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
