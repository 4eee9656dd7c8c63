/**
 * The CLI contract end to end, talking over loopback HTTP: in-process through the composition
 * root, and the built binary spawned as a process where the process itself is the point (the bin
 * shim and start-up, a real process's exit code). Uses a tiny canned server for the failure shapes
 * the simulator is not meant to produce.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, scratchDir, writeConfig } from "../support/cli.js";

const TOKEN = "e2e-secret-token-abcdef";
let server: Server;
let url: string;
const routes: Record<string, { status: number; body: unknown }> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const token = req.headers["coder-session-token"];
    const r = routes[path];
    if (path !== "/api/v2/buildinfo" && token !== TOKEN) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "You are signed out or your session has expired. Please sign in again to continue.", detail: "API key is invalid." }));
      return;
    }
    res.writeHead(r?.status ?? 404, { "content-type": "application/json" });
    res.end(JSON.stringify(r?.body ?? { message: "Route not found." }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes["/api/v2/buildinfo"] = { status: 200, body: { version: "v2.24.0+abc", external_url: url } };
  routes["/api/v2/users/me"] = { status: 200, body: { id: "u-1", username: "alice", roles: [{ name: "owner" }] } };
  routes["/api/v2/workspaces"] = { status: 200, body: { count: 0 } };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({ CODER_URL: url, CODER_SESSION_TOKEN: TOKEN });

describe("help and version", () => {
  it("lists every command", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["workspaces", "quiet-hours", "ttl-monitor", "autostop", "enterprise-quiet-hours", "prune", "rollback", "policy", "simulate"]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, "m"));
    }
  });

  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    // The built binary: bin/coder-agents.js starts and answers.
    const r = await runCli(["--version"], { spawn: true });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("shows examples in a command's help", async () => {
    const r = await runCli(["workspaces", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--json");
  });
});

describe("exit codes", () => {
  it("unknown flag → 2", async () => {
    const r = await runCli(["workspaces", "--bogus"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it("unknown command → 2", async () => {
    const r = await runCli(["frobnicate"], { env: env() });
    expect(r.code).toBe(2);
  });

  it("bad --now → 2", async () => {
    const r = await runCli(["workspaces", "--now", "yesterday"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--now: expected an ISO 8601 instant/);
  });

  it.each([
    ["bad JSON", "{ nope", /agents_config.json: invalid JSON/],
    ["bad time zone", { quiet_hours: { timezone: "Mars/Olympus" } }, /quiet_hours\.timezone: expected an IANA time zone/],
    ["bad HH:MM", { quiet_hours: { start_time: "7pm" } }, /quiet_hours\.start_time: expected a time "HH:MM"/],
  ])("invalid config (%s) → 2 with the key path", async (_n, cfg, re) => {
    const dir = scratchDir();
    writeConfig(dir, cfg);
    const r = await runCli(["workspaces"], { env: env(), cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it("missing credentials → 2 with what to do", async () => {
    const r = await runCli(["workspaces"], { env: { CODER_URL: url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no session token: pass --token-file/);
  });

  it("nothing listening → 3", async () => {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const r = await runCli(["workspaces"], { env: { CODER_URL: `http://127.0.0.1:${port}`, CODER_SESSION_TOKEN: TOKEN } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it("rejected token → 4", async () => {
    // A process's own exit status, and nothing the process writes carries the token.
    const r = await runCli(["workspaces"], { env: { CODER_URL: url, CODER_SESSION_TOKEN: "wrong-token-value" }, spawn: true });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/401 You are signed out.*API key is invalid/);
    expect(r.stderr).not.toContain("wrong-token-value");
  });

  it("a response missing `workspaces` → 8 naming the field, with an error envelope under --json", async () => {
    const r = await runCli(["workspaces", "--json"], { env: env() });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/shape this version does not understand: workspaces:/);
    const doc = r.json<{ schema_version: number; command: string; error: { code: string; exit_code: number } }>();
    expect(doc.schema_version).toBe(1);
    expect(doc.command).toBe("workspaces");
    expect(doc.error).toMatchObject({ code: "E_API_SHAPE", exit_code: 8 });
  });

  it("reads the token from --token-file and warns when it is group/other readable", async () => {
    const dir = scratchDir();
    const file = join(dir, "token");
    const { writeFileSync, chmodSync } = await import("node:fs");
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, 0o644);
    routes["/api/v2/workspaces"] = { status: 200, body: { workspaces: [], count: 0 } };
    const r = await runCli(["workspaces", "--token-file", file, "--url", url]);
    routes["/api/v2/workspaces"] = { status: 200, body: { count: 0 } };
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Found 0 running workspaces");
    expect(r.stderr).toMatch(/readable by group or others/);
  });
});
