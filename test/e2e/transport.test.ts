/**
 * How the CLI reaches Coder: HTTP(S)_PROXY / NO_PROXY through a loopback proxy written here, the
 * rules for the Coder URL (an `/api/v2` suffix, trailing slashes, schemes), and the token file
 * (its first line; a token that cannot be a header value is exit 2 naming the file, never the token).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const TOKEN = "Adm1n-transport-canary-55aa";

interface TestProxy {
  url: string;
  /** "CONNECT host:port" or "GET http://…" per request seen, and the Proxy-Authorization sent. */
  seen: { line: string; auth: string | undefined }[];
  close(): Promise<void>;
}

/** A plain-HTTP forward proxy on loopback: CONNECT tunnels and absolute-form requests. */
async function startProxy(): Promise<TestProxy> {
  const seen: TestProxy["seen"] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, auth: req.headers["proxy-authorization"] });
    const target = new URL(req.url ?? "");
    const up = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s: Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  server.on("connect", (req, client: Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, auth: req.headers["proxy-authorization"] });
    const [host, port] = (req.url ?? "").split(":");
    const up = connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let sim: TestSim;
let proxy: TestProxy;
let dir: string;
let simHostPort: string;

beforeAll(async () => {
  const base = miniScenario();
  sim = await startSim({
    ...base,
    users: [{ username: "root", roles: ["owner"], token: TOKEN }, ...(base.users ?? [])],
    workspaces: [{ name: "dev", owner: "alice", template: "python-dev", status: "running", started_at: "-1h", deadline: "+2h" }],
  });
  proxy = await startProxy();
  dir = scratchDir();
  simHostPort = new URL(sim.url).host;
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
});

const workspaces = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(["workspaces", "--all", "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: TOKEN, ...env }, cwd: dir, timeoutMs: 30_000 });

describe("proxy variables", () => {
  it.each(["HTTP_PROXY", "http_proxy"])("%s: requests go through the proxy", async (name) => {
    proxy.seen.length = 0;
    const r = await workspaces(["--url", sim.url, "--json"], { [name]: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ workspaces: unknown[] }>().workspaces).toHaveLength(1);
    expect(proxy.seen.map((s) => s.line)).toContain(`CONNECT ${simHostPort}`);
  });

  it("NO_PROXY (or no_proxy) naming the host bypasses the proxy", async () => {
    for (const [name, value] of [
      ["NO_PROXY", "127.0.0.1"],
      ["no_proxy", `example.com, 127.0.0.1:${new URL(sim.url).port}`],
    ] as const) {
      proxy.seen.length = 0;
      const r = await workspaces(["--url", sim.url], { HTTP_PROXY: proxy.url, [name]: value });
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.seen).toEqual([]);
    }
  });

  it("HTTPS_PROXY applies to https:// URLs only; a plain-http Coder URL goes direct", async () => {
    proxy.seen.length = 0;
    const r = await workspaces(["--url", sim.url], { HTTPS_PROXY: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.seen).toEqual([]);
  });

  it("proxy credentials are sent to the proxy but never logged", async () => {
    proxy.seen.length = 0;
    const withAuth = proxy.url.replace("http://", "http://ops:Pr0xy-pass-9z@");
    const r = await workspaces(["--url", sim.url, "--verbose"], { HTTP_PROXY: withAuth });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.seen[0]?.auth).toBe(`Basic ${Buffer.from("ops:Pr0xy-pass-9z").toString("base64")}`);
    expect(r.stderr).toContain(`"proxy":"${proxy.url}"`);
    expect(r.stdout + r.stderr).not.toContain("Pr0xy-pass-9z");
  });
});

describe("the Coder URL", () => {
  it.each(["/api/v2", "/api/v2/", "/", "///"])("a URL ending in %s means the same deployment", async (suffix) => {
    const r = await workspaces(["--url", sim.url + suffix, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ workspaces: unknown[] }>().workspaces).toHaveLength(1);
  });

  it("CODER_URL ending in /api/v2/ too", async () => {
    const r = await workspaces(["--json"], { CODER_URL: `${sim.url}/api/v2/` });
    expect(r.code, r.stderr).toBe(0);
  });

  it("a non-http(s) scheme is exit 2 at once, with no request and no retry", async () => {
    const started = Date.now();
    const r = await workspaces(["--url", "ftp://127.0.0.1:21/coder", "--json"]);
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe("E_CONFIG");
    expect(r.stderr).toMatch(/--url "ftp:\/\/127\.0\.0\.1:21\/coder": unsupported scheme "ftp:\/\/"; use https:\/\/ \(or http:\/\/ for a plain-HTTP server\)/);
    expect(r.stderr).not.toMatch(/retrying/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a plain-HTTP server given without a scheme: exit 2 with the http:// hint, not retried", async () => {
    const r = await workspaces(["--url", simHostPort]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `the server does not speak TLS. The Coder URL was given without a scheme, so https:// was assumed: did you mean https://${simHostPort} (a TLS server), or http://${simHostPort} for a plain-HTTP server?`,
    );
    expect(r.stderr).not.toMatch(/retrying/);
  });

  it("https:// to a plain-HTTP server says to use http://", async () => {
    const r = await workspaces(["--url", `https://${simHostPort}`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`does not speak TLS; for a plain-HTTP server use http://${simHostPort}`);
  });
});

describe("the token file", () => {
  it("is its first line: a note below it is never sent, logged or printed", async () => {
    const tokenFile = join(dir, "token-with-note");
    writeFileSync(tokenFile, `${TOKEN}\n# rotated 2026-01-01 by ops\n`, { mode: 0o600 });
    const log = join(dir, "agents-tokenfile.log");
    const cfg = writeConfig(dir, { logging: { level: "DEBUG", file: log } }, "tokenfile-config.json");
    await sim.resetStats();
    for (const json of [[], ["--json"]]) {
      const r = await runCli(["workspaces", "--all", "--now", NOW, "--verbose", "--url", sim.url, "--token-file", tokenFile, "--config", cfg, ...json], {
        cwd: dir,
        timeoutMs: 30_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      expect(r.stderr).not.toMatch(/Headers|invalid header/i);
    }
    expect(readFileSync(log, "utf8")).not.toContain(TOKEN);
    expect(readFileSync(log, "utf8")).toMatch(/credentials resolved/);
    expect((await sim.stats()).requests["GET /api/v2/users/{user}"]).toBe(2); // users/me, authenticated with the first line
  });

  it.each([
    ["a control character", "abc\u0001defgh-token"],
    ["non-ASCII", "tökén-välue-123"],
  ])("a token with %s is exit 2 naming the file, never the token", async (_what, token) => {
    const tokenFile = join(dir, "bad-token");
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const r = await runCli(["workspaces", "--now", NOW, "--verbose", "--url", sim.url, "--token-file", tokenFile], { cwd: dir, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`token file ${tokenFile}: the session token contains characters that cannot be sent in an HTTP header`);
    expect(r.stdout + r.stderr).not.toContain(token.slice(5));
  });

  it("a token variable with a line break is exit 2 naming the variable", async () => {
    const r = await workspaces(["--url", sim.url], { CODER_SESSION_TOKEN: "Zz-first-line-token\nsecond-line" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("CODER_SESSION_TOKEN: the session token contains characters that cannot be sent in an HTTP header");
    expect(r.stdout + r.stderr).not.toContain("Zz-first-line-token");
  });
});
