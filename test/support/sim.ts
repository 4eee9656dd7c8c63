/**
 * Test helper: starts the Coder simulator in-process on a random loopback port and talks to its
 * /__sim control endpoints over HTTP. E2e tests spawn the CLI against `sim.url`.
 *
 *   const sim = await startSim("demo");
 *   ... run the CLI with CODER_URL=sim.url CODER_TOKEN=sim.ownerToken ...
 *   expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"]).toBe(3);
 *   await sim.close();
 */
import { loadScenario, parseScenario, type ScenarioInput } from "../../src/sim/scenario.js";
import type { FaultSettings } from "../../src/sim/faults.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/sim/server.js";

export interface SimStats {
  total: number;
  requests: Record<string, number>;
}

export interface SimBuildEntry {
  build_number: number;
  transition: string;
  reason: string;
  initiator: string;
  status: string;
  created_at: string;
}

export interface SimWorkspaceState {
  id: string;
  owner: string;
  name: string;
  status: string;
  transition: string;
  job_status: string;
  build_number: number;
  build_id: string;
  deadline: string | null;
  max_deadline: string | null;
  deleted: boolean;
  builds: SimBuildEntry[];
}

export interface SimState {
  now: string;
  frozen: boolean;
  workspaces: SimWorkspaceState[];
}

/** The body of POST /__sim/faults: any subset of the simulator's fault settings (merged). */
export type FaultUpdate = Partial<FaultSettings>;

export interface TestSim {
  url: string;
  tokens: Record<string, string>;
  ownerToken: string;
  ownerUsername: string;
  /** The in-process simulator (store access, close). */
  sim: Simulator;
  close(): Promise<void>;
  now(): Date;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  setFaults(update: FaultUpdate): Promise<void>;
  clearFaults(): Promise<void>;
  state(): Promise<SimState>;
  /** Workspace state by "owner/name". */
  workspace(ownerSlashName: string): Promise<SimWorkspaceState>;
  setClock(now: string, frozen?: boolean): Promise<void>;
  setQuietHours(user: string, schedule: string | null): Promise<void>;
  addWorkspace(ws: Record<string, unknown>): Promise<unknown>;
  /** Records activity on "owner/name": last_used_at = `at` (ISO or offset; default the sim's now). */
  setLastUsed(ownerSlashName: string, at?: string): Promise<void>;
  /** fetch against the simulator with a token (default: the owner's). */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** Environment for spawning the CLI against this simulator. */
  env(token?: string): Record<string, string>;
}

async function control(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startSim(
  scenario: ScenarioInput | Record<string, unknown> | "demo",
  opts: Omit<SimulatorOptions, "scenario"> = {},
): Promise<TestSim> {
  const parsed = scenario === "demo" ? await loadScenario("demo") : parseScenario(scenario);
  const sim = await startSimulator({ buildDelayMs: 50, ...opts, scenario: parsed });
  const url = sim.url;
  const t: TestSim = {
    url,
    tokens: sim.tokens,
    ownerToken: sim.ownerToken,
    ownerUsername: sim.ownerUsername,
    sim,
    close: () => sim.close(),
    now: () => sim.now(),
    stats: async () => (await control(url, "GET", "/__sim/stats")) as SimStats,
    resetStats: async () => {
      await control(url, "POST", "/__sim/stats/reset");
    },
    setFaults: async (update) => {
      await control(url, "POST", "/__sim/faults", update);
    },
    clearFaults: async () => {
      await control(url, "DELETE", "/__sim/faults");
    },
    state: async () => (await control(url, "GET", "/__sim/state")) as SimState,
    workspace: async (key) => {
      const [owner, name] = key.split("/");
      const found = (await t.state()).workspaces.find((w) => w.owner === owner && w.name === name && !w.deleted);
      if (!found) throw new Error(`no workspace ${key}`);
      return found;
    },
    setClock: async (now, frozen) => {
      await control(url, "POST", "/__sim/clock", frozen === undefined ? { now } : { now, frozen });
    },
    setQuietHours: async (user, schedule) => {
      await control(url, "PUT", `/__sim/users/${encodeURIComponent(user)}/quiet-hours`, { schedule });
    },
    addWorkspace: (ws) => control(url, "POST", "/__sim/workspaces", ws),
    setLastUsed: async (key, at) => {
      const [owner = "", name = ""] = key.split("/");
      await control(url, "POST", `/__sim/workspaces/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/activity`, at === undefined ? {} : { last_used_at: at });
    },
    api: (path, init = {}) => {
      const { token = sim.ownerToken, headers, ...rest } = init;
      const h = new Headers(headers);
      if (token !== null) h.set("Coder-Session-Token", token);
      return fetch(`${url}${path}`, { ...rest, headers: h });
    },
    env: (token = sim.ownerToken) => ({ CODER_URL: url, CODER_TOKEN: token }),
  };
  return t;
}

/** A tiny scenario builder for tests: one org, an owner, a template, and the given workspaces. */
export function miniScenario(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    clock: "2026-01-05T19:30:00Z",
    organizations: [{ name: "engineering" }],
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      { username: "alice", roles: ["member"], token: "alice-token", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      { username: "bob", roles: ["member"], token: "bob-token" },
    ],
    templates: [{ name: "python-dev", organization: "engineering", default_ttl_ms: 8 * 3_600_000 }],
    workspaces: [],
    ...extra,
  };
}
