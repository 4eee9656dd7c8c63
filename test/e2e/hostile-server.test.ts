/**
 * The CLI against hostile or broken servers on loopback: an endless body, deeply nested JSON, a
 * lying `count`, pages that repeat, a server that trickles bytes (slowloris), and redirects to
 * another origin. Each case must end with its documented exit code, within bounded memory (the
 * child reports its peak RSS), never exit 1, never a hang, never a stack trace — and the session
 * token never reaches another origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspace } from "../fixtures/coder.js";
import { runCli, scratchDir, writeConfig, type CliResult } from "../support/cli.js";

const TOKEN = "Hx7-hostile-canary-4b1e9d2c8a";
const NOW = "2026-01-05T19:30:00Z";

/** Answers a request; returns true when it took the socket over (nothing else may be written). */
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | void;

interface Loopback {
  url: string;
  requests: { method: string; path: string; token: string | undefined }[];
  close(): Promise<void>;
}

/** A loopback HTTP server; `/api/v2/buildinfo` and `/api/v2/users/me` answer normally unless `handler` takes them. */
async function serve(handler: Handler): Promise<Loopback> {
  const requests: Loopback["requests"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push({ method: req.method ?? "GET", path: url.pathname, token: req.headers["coder-session-token"] as string | undefined });
    res.on("error", () => {});
    req.socket.on("error", () => {});
    if (handler(req, res, url) === true || res.headersSent || res.writableEnded) return;
    if (url.pathname === "/api/v2/buildinfo") return json(res, { version: "v2.20.0" });
    if (url.pathname === "/api/v2/users/me") return json(res, { id: "u-1", username: "root", roles: [{ name: "owner" }] });
    json(res, { message: "not found" }, 404);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Writes `head`, then `chunk` forever (respecting back-pressure) until the client goes away. */
function endless(res: ServerResponse, head: string, chunk: string): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.write(head);
  const buf = Buffer.from(chunk.repeat(Math.max(1, Math.floor(65536 / chunk.length))));
  const pump = () => {
    while (!res.destroyed && res.write(buf));
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
}

let dir: string;
const servers: Loopback[] = [];
beforeAll(() => {
  dir = scratchDir();
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function hostile(handler: Handler): Promise<Loopback> {
  const s = await serve(handler);
  servers.push(s);
  return s;
}

interface Run extends CliResult {
  peakRssMb: number;
}

async function workspacesAgainst(url: string, config: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<Run> {
  const cfg = writeConfig(dir, config, `config-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(["workspaces", "--all", "--json", "--now", NOW, "--config", cfg, "--url", url], {
    env: { CODER_SESSION_TOKEN: TOKEN, CODER_AGENTS_REPORT_RSS: "1" },
    cwd: dir,
    timeoutMs,
    // A process of its own: the bound is on the peak memory of a run, which only a process reports.
    spawn: true,
  });
  const kb = /coder-agents-peak-rss-kb=(\d+)/.exec(r.stderr);
  return Object.assign(r, { peakRssMb: kb ? Number(kb[1]) / 1024 : NaN });
}

/** The invariants of every hostile case: the expected code (never 1), no stack trace, one error document, bounded memory. */
function expectClean(r: Run, code: number, errorCode: RegExp, maxRssMb = 300): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  const doc = r.json<{ error: { code: string; exit_code: number } }>();
  expect(doc.error.code).toMatch(errorCode);
  expect(doc.error.exit_code).toBe(code);
  expect(r.peakRssMb).toBeGreaterThan(0);
  expect(r.peakRssMb).toBeLessThan(maxRssMb);
}

describe("an endless body ends with exit 8, never gigabytes of memory", () => {
  it("endless whitespace inside the list, at the default page size: stopped at the byte bound, peak RSS < 300 MB", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname === "/api/v2/workspaces") endless(res, '{"workspaces":[', "        ");
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 8, /^E_RESPONSE_LIMIT$/);
    expect(r.stderr).toMatch(/GET \/api\/v2\/workspaces: the response is larger than \d+ MiB/);
    // Not retried: a body beyond the bound is not a transient failure.
    expect(s.requests.filter((q) => q.path === "/api/v2/workspaces")).toHaveLength(1);
  }, 90_000);

  it("endless valid rows: refused at the first row beyond the requested limit", async () => {
    let rows = 0;
    const s = await hostile((_req, res, u) => {
      if (u.pathname !== "/api/v2/workspaces") return;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"workspaces":[');
      const pump = () => {
        while (!res.destroyed && res.write(`${rows++ ? "," : ""}${JSON.stringify(workspace(rows))}`));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    const r = await workspacesAgainst(s.url, { http: { page_size: 200 } });
    expectClean(r, 8, /^E_RESPONSE_LIMIT$/);
    expect(r.stderr).toMatch(/more than the 200 rows asked for/);
  }, 60_000);

  it("one endless string inside a row: stopped at the element bound", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname === "/api/v2/workspaces") endless(res, '{"workspaces":[{"id":"', "aaaaaaaa");
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 8, /^E_RESPONSE_LIMIT$/);
    expect(r.stderr).toMatch(/workspaces\[0\] is longer than/);
  }, 60_000);

  it("an endless single-object answer (buildinfo): stopped at the body bound", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname === "/api/v2/buildinfo") endless(res, '{"version":"', "vvvvvvvv");
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 8, /^E_RESPONSE_LIMIT$/);
    expect(r.stderr).toMatch(/GET \/api\/v2\/buildinfo: the response is larger than 64 MiB/);
  }, 60_000);
});

// The endless bodies above run one at a time (each keeps both ends of the socket busy); the cases
// below run concurrently: each has its own loopback server and config file, and the slowloris
// ones spend their time waiting on the timeout and the client's backoff.
describe.concurrent("deeply nested JSON", () => {
  it("in a list row: exit 8 at the nesting bound, no stack overflow", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname !== "/api/v2/workspaces") return;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(`{"workspaces":[${"[".repeat(50_000)}${"]".repeat(50_000)}],"count":1}`);
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 8, /^E_RESPONSE_LIMIT$/);
    expect(r.stderr).toMatch(/nested deeper than 256 levels/);
  }, 60_000);
});

describe.concurrent("listings that cannot add up", () => {
  it("a lying count (1,000,000,000 with 2 rows, then empty pages) is exit 7, quickly", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname !== "/api/v2/workspaces") return;
      const offset = Number(u.searchParams.get("offset") ?? 0);
      json(res, { workspaces: offset === 0 ? [workspace(1), workspace(2)] : [], count: 1_000_000_000 });
    });
    const started = Date.now();
    const r = await workspacesAgainst(s.url, { http: { page_size: 2 } }, 30_000);
    expectClean(r, 7, /^E_SAFETY_ABORT$/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(s.requests.filter((q) => q.path === "/api/v2/workspaces").length).toBeLessThan(100);
  }, 40_000);

  it("a negative count is a shape error (exit 8)", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname === "/api/v2/workspaces") json(res, { workspaces: [], count: -5 });
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 8, /^E_API_SHAPE$/);
    expect(r.stderr).toMatch(/count/);
  }, 30_000);

  it("pages that repeat (the server ignores offset) are exit 7, never a loop", async () => {
    const page = [workspace(1), workspace(2), workspace(3)];
    const s = await hostile((_req, res, u) => {
      if (u.pathname === "/api/v2/workspaces") json(res, { workspaces: page, count: 9 });
    });
    const r = await workspacesAgainst(s.url, { http: { page_size: 3 } }, 30_000);
    expectClean(r, 7, /^E_SAFETY_ABORT$/);
    expect(r.stderr).toMatch(/3 of 9/);
  }, 40_000);
});

describe.concurrent("slowloris", () => {
  it("a body trickled a byte at a time hits the timeout (exit 3), not a hang", async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await hostile((_req, res, u) => {
      if (u.pathname !== "/api/v2/workspaces") return;
      res.writeHead(200, { "Content-Type": "application/json" });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(" ")), 100);
      timers.push(t);
    });
    const started = Date.now();
    const r = await workspacesAgainst(s.url, { http: { timeout_seconds: 0.5 } }, 45_000);
    for (const t of timers) clearInterval(t);
    expectClean(r, 3, /^E_UNREACHABLE$/);
    expect(r.stderr).toMatch(/timed out after 500 ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 50_000);

  it("headers that never come hit the timeout too", async () => {
    const s = await hostile((_req, res, u) => {
      if (u.pathname !== "/api/v2/buildinfo") return;
      res.socket?.write("HTTP/1.1 200 OK\r\n"); // and nothing more
      return true;
    });
    const r = await workspacesAgainst(s.url, { http: { timeout_seconds: 0.5 } }, 45_000);
    expectClean(r, 3, /^E_UNREACHABLE$/);
    expect(r.stderr).toMatch(/timed out after 500 ms/);
  }, 50_000);
});

describe.concurrent("redirects", () => {
  it.each([301, 302, 303, 307, 308])("a %i to another loopback origin is refused (exit 2): the token never arrives there", async (status) => {
    const other = await hostile((_req, res) => json(res, { version: "v2.20.0", id: "u-1", username: "root", workspaces: [], count: 0 }));
    const s = await hostile((_req, res, u) => {
      res.writeHead(status, { Location: `${other.url}${u.pathname}${u.search}` });
      res.end();
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 2, /^E_CONFIG$/);
    expect(r.stderr).toContain(`redirected (${status}) to another origin, ${other.url}`);
    expect(other.requests).toEqual([]);
  }, 30_000);

  it("a same-origin redirect is followed (bounded), a loop is exit 3", async () => {
    const ok = await hostile((_req, res, u) => {
      if (u.pathname.startsWith("/moved/")) {
        const real = u.pathname.slice("/moved".length);
        if (real === "/api/v2/workspaces") return json(res, { workspaces: [workspace(1)], count: 1 });
        if (real === "/api/v2/buildinfo") return json(res, { version: "v2.20.0" });
        if (real === "/api/v2/users/me") return json(res, { id: "u-1", username: "root", roles: [] });
      }
      res.writeHead(307, { Location: `/moved${u.pathname}${u.search}` });
      res.end();
    });
    const r = await workspacesAgainst(ok.url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ workspaces: unknown[] }>().workspaces).toHaveLength(1);
    expect(ok.requests.every((q) => q.token === TOKEN)).toBe(true);

    const loop = await hostile((_req, res, u) => {
      res.writeHead(302, { Location: u.pathname + "?again=1" });
      res.end();
    });
    const l = await workspacesAgainst(loop.url);
    expectClean(l, 3, /^E_UNREACHABLE$/);
    expect(l.stderr).toMatch(/more than 5 redirects/);
  }, 60_000);

  it("http → https on the same host names the https URL to use", async () => {
    const s = await hostile((_req, res, u) => {
      res.writeHead(301, { Location: `https://127.0.0.1:1${u.pathname}` });
      res.end();
    });
    const r = await workspacesAgainst(s.url);
    expectClean(r, 2, /^E_CONFIG$/);
    expect(r.stderr).toMatch(/set --url \(or CODER_URL\) to https:\/\/127\.0\.0\.1:1/);
  }, 30_000);
});
