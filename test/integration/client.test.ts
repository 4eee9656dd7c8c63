import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoderClient } from "../../src/coder/client.js";
import { ApiShapeError, CoderApiError, ConfigError, ExitCode, ResponseLimitError, SafetyAbortError, UnreachableError } from "../../src/errors.js";
import { workspace } from "../fixtures/coder.js";

const BASE = "https://coder.example.com";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const sleeps: number[] = [];
function client(extra: Partial<ConstructorParameters<typeof CoderClient>[0]> = {}) {
  sleeps.length = 0;
  return new CoderClient({
    baseUrl: BASE,
    token: "secret-token-123",
    fetch: (input, init) => globalThis.fetch(input, init),
    clockMs: () => Date.now(),
    monotonicMs: () => performance.now(),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    pageSize: 3,
    ...extra,
  });
}

describe("pagination", () => {
  it("pages with limit/offset until count and sends q server-side", async () => {
    const all = Array.from({ length: 8 }, (_, i) => workspace(i));
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, ({ request }) => {
        const u = new URL(request.url);
        seen.push(`${u.searchParams.get("q")}|${u.searchParams.get("limit")}|${u.searchParams.get("offset")}`);
        expect(request.headers.get("Coder-Session-Token")).toBe("secret-token-123");
        const off = Number(u.searchParams.get("offset"));
        const lim = Number(u.searchParams.get("limit"));
        return HttpResponse.json({ workspaces: all.slice(off, off + lim), count: all.length });
      }),
    );
    const list = await client().listWorkspaces("status:running");
    expect(list.map((w) => w.id)).toEqual(all.map((w) => w.id));
    // Pages after the first start one row early (overlap) and ask for one more: same number of requests.
    expect(seen.sort()).toEqual(["status:running|3|0", "status:running|4|2", "status:running|4|5"]);
    // zero time and unknown fields are normalised/tolerated
    expect(list[0]!.last_used_at).toBeNull();
  });

  it("aborts with exit 7 when the pages do not add up to count", async () => {
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, ({ request }) => {
        const off = Number(new URL(request.url).searchParams.get("offset"));
        return HttpResponse.json({ workspaces: off === 0 ? [workspace(0), workspace(1), workspace(2)] : [], count: 10 });
      }),
    );
    const err = await client().listWorkspaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetyAbortError);
    expect((err as SafetyAbortError).exitCode).toBe(ExitCode.SafetyAbort);
    // Page 2 came back empty though the server counted 10 rows: a cut response, named as such.
    expect((err as Error).message).toMatch(/3 of 10 rows the server counted.*truncated listing/);
  });
});

describe("listing while the fleet changes", () => {
  const running = (i: number) => workspace(i, { latest_build: { ...workspace(i).latest_build, status: "running", build_number: 1 } });
  const stopped = (i: number, n = 2) =>
    workspace(i, { latest_build: { ...workspace(i).latest_build, status: "stopped", transition: "stop", build_number: n } });

  it("a stop between page reads shifts rows back: the overlap keeps every row, each once", async () => {
    // Coder's order: running first. After each page read, one running workspace stops and moves
    // behind all running ones, so every later row shifts one place toward the front.
    let list = [...Array.from({ length: 12 }, (_, i) => running(i)), ...Array.from({ length: 8 }, (_, i) => stopped(100 + i))];
    let reads = 0;
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, ({ request }) => {
        const u = new URL(request.url);
        const off = Number(u.searchParams.get("offset"));
        const lim = Number(u.searchParams.get("limit"));
        const page = { workspaces: list.slice(off, off + lim), count: list.length };
        const victim = list.findIndex((w) => w.latest_build.status === "running");
        if (reads++ < 4 && victim >= 0) {
          const w = list[victim]!;
          list = [...list.slice(0, victim), ...list.slice(victim + 1)];
          const firstStopped = list.findIndex((x) => x.latest_build.status !== "running");
          list.splice(firstStopped, 0, stopped(Number(w.id.slice(2)), 2));
        }
        return HttpResponse.json(page);
      }),
    );
    const got = await client({ pageSize: 5, concurrency: 1 }).listWorkspaces();
    const ids = got.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...Array.from({ length: 12 }, (_, i) => `w-${i}`), ...Array.from({ length: 8 }, (_, i) => `w-${100 + i}`)]));
    // The newest version of a row wins.
    expect(got.find((w) => w.id === "w-0")?.latest_build.status).toBe("stopped");
  });

  it("a start completing behind the read position is found by reading the running partition", async () => {
    // 10 stopped workspaces; while page 2 is read, w-1 (already passed) ... and w-9 (not yet
    // read) completes a start and moves to the front, where the reader has already been.
    let list = Array.from({ length: 10 }, (_, i) => stopped(i, 1));
    const queries: string[] = [];
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, ({ request }) => {
        const u = new URL(request.url);
        const q = u.searchParams.get("q") ?? "";
        queries.push(`${q}|${u.searchParams.get("offset")}`);
        const off = Number(u.searchParams.get("offset"));
        const lim = Number(u.searchParams.get("limit"));
        const rows = q.includes("status:running") ? list.filter((w) => w.latest_build.status === "running") : list;
        const page = { workspaces: rows.slice(off, off + lim), count: rows.length };
        if (queries.length === 1) list = [running(9), ...list.filter((w) => w.id !== "w-9")];
        return HttpResponse.json(page);
      }),
    );
    const got = await client({ pageSize: 5, concurrency: 1 }).listWorkspaces();
    expect(got.map((w) => w.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `w-${i}`).sort());
    expect(queries).toContain("status:running|0");
  });

  it("a status-filtered listing is stitched without reading another partition", async () => {
    let n = 0;
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, ({ request }) => {
        n++;
        const off = Number(new URL(request.url).searchParams.get("offset"));
        const all = Array.from({ length: 7 }, (_, i) => running(i));
        // One of them stopped after the first page: the partition shrinks by one.
        const rows = n === 1 ? all : all.filter((w) => w.id !== "w-1");
        return HttpResponse.json({ workspaces: rows.slice(off, off + 5 + (off ? 1 : 0)), count: rows.length });
      }),
    );
    const got = await client({ pageSize: 5, concurrency: 1 }).listWorkspaces("status:running");
    expect(got.map((w) => w.id).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `w-${i}`).sort());
    // Two pages, plus one wider re-read of page 2 (the shift of one row used up the one-row
    // overlap); no pass over another partition.
    expect(n).toBe(3);
  });
});

describe("retries", () => {
  it("retries a GET on 503 with backoff, then succeeds", async () => {
    let n = 0;
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => {
        n++;
        if (n < 3) return HttpResponse.json({ message: "unavailable" }, { status: 503 });
        return HttpResponse.json({ id: "u-1", username: "alice", roles: [] });
      }),
    );
    const me = await client().me();
    expect(me.username).toBe("alice");
    expect(n).toBe(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it("honours Retry-After on 429", async () => {
    let n = 0;
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => {
        n++;
        if (n === 1) {
          return HttpResponse.json(
            { message: "You've been rate limited for sending more than 512 requests in 1m0s." },
            { status: 429, headers: { "Retry-After": "7" } },
          );
        }
        return HttpResponse.json({ id: "u-1", username: "alice" });
      }),
    );
    await client().me();
    expect(sleeps).toEqual([7000]);
  });

  it("gives up after the retry budget with exit 3", async () => {
    server.use(http.get(`${BASE}/api/v2/users/me`, () => HttpResponse.json({ message: "bad gateway" }, { status: 502 })));
    const err = await client({ maxRetries: 2 }).me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoderApiError);
    expect((err as CoderApiError).exitCode).toBe(ExitCode.Unreachable);
    expect(sleeps).toHaveLength(2);
  });

  it("retries a GET after a dropped connection", async () => {
    let n = 0;
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => {
        n++;
        if (n === 1) return HttpResponse.error();
        return HttpResponse.json({ id: "u-1", username: "alice" });
      }),
    );
    await client().me();
    expect(n).toBe(2);
  });

  it("never retries a POST, even on 503 or a network error", async () => {
    let posts = 0;
    server.use(
      http.post(`${BASE}/api/v2/workspaces/w-1/builds`, () => {
        posts++;
        return HttpResponse.json({ message: "unavailable" }, { status: 503 });
      }),
    );
    await expect(client().createBuild("w-1", { transition: "stop", reason: "cli" })).rejects.toBeInstanceOf(CoderApiError);
    expect(posts).toBe(1);
    server.use(
      http.post(`${BASE}/api/v2/workspaces/w-1/builds`, () => {
        posts++;
        return HttpResponse.error();
      }),
    );
    const err = await client().createBuild("w-1", { transition: "stop" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(/not retried/);
    expect(posts).toBe(2);
    expect(sleeps).toEqual([]);
  });
});

describe("errors", () => {
  it("surfaces Coder's message, detail and validations", async () => {
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, () =>
        HttpResponse.json(
          {
            message: "Invalid workspace search query.",
            detail: "query has invalid keys",
            validations: [{ field: "colour", detail: 'Query param "colour" is not a valid query param' }],
          },
          { status: 400 },
        ),
      ),
    );
    const err = (await client().listWorkspaces("colour:red").catch((e: unknown) => e)) as CoderApiError;
    expect(err.status).toBe(400);
    expect(err.message).toContain("Invalid workspace search query.");
    expect(err.message).toContain("query has invalid keys");
    expect(err.message).toContain('colour: Query param "colour" is not a valid query param');
  });

  it("maps 401 and 403 to exit 4 with a hint on 401", async () => {
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () =>
        HttpResponse.json({ message: "You are signed out or your session has expired.", detail: "API key is invalid." }, { status: 401 }),
      ),
    );
    const err = (await client().me().catch((e: unknown) => e)) as CoderApiError;
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.message).toMatch(/API key is invalid.*session token/);
    expect(err.message).not.toContain("secret-token-123");
  });

  it("reports a missing required field as exit 8 naming the field path", async () => {
    const bad = workspace(1);
    delete (bad.latest_build as Record<string, unknown>).transition;
    server.use(http.get(`${BASE}/api/v2/workspaces`, () => HttpResponse.json({ workspaces: [bad], count: 1 })));
    const err = (await client().listWorkspaces().catch((e: unknown) => e)) as ApiShapeError;
    expect(err).toBeInstanceOf(ApiShapeError);
    expect(err.exitCode).toBe(ExitCode.ApiShape);
    expect(err.message).toContain("workspaces[0].latest_build.transition");
  });

  it("reports a response without `workspaces` as exit 8", async () => {
    server.use(http.get(`${BASE}/api/v2/workspaces`, () => HttpResponse.json({ count: 0 })));
    const err = (await client().listWorkspaces().catch((e: unknown) => e)) as ApiShapeError;
    expect(err).toBeInstanceOf(ApiShapeError);
    expect(err.message).toMatch(/: workspaces:/);
  });

  it("reports a negative `count` as exit 8 naming the field, never as an empty listing", async () => {
    server.use(http.get(`${BASE}/api/v2/workspaces`, () => HttpResponse.json({ workspaces: [], count: -5 })));
    const err = (await client().listWorkspaces().catch((e: unknown) => e)) as ApiShapeError;
    expect(err).toBeInstanceOf(ApiShapeError);
    expect(err.exitCode).toBe(ExitCode.ApiShape);
    expect(err.message).toMatch(/count/);
  });

  it("treats a 404 on entitlements as unlicensed", async () => {
    server.use(http.get(`${BASE}/api/v2/entitlements`, () => HttpResponse.json({ message: "Route not found." }, { status: 404 })));
    expect(await client().entitlements()).toBeNull();
  });
});

describe("transport limits", () => {
  it("a redirect to another origin is refused before anything is sent there (exit 2), and not retried", async () => {
    const elsewhere: (string | null)[] = [];
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => new HttpResponse(null, { status: 302, headers: { Location: "https://collector.example.net/steal" } })),
      http.get("https://collector.example.net/steal", ({ request }) => {
        elsewhere.push(request.headers.get("Coder-Session-Token"));
        return HttpResponse.json({ id: "u-1", username: "alice", roles: [] });
      }),
    );
    const err = await client().me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.Usage);
    expect((err as Error).message).toMatch(/redirected \(302\) to another origin, https:\/\/collector\.example\.net; the redirect was not followed/);
    expect(elsewhere).toEqual([]);
    expect(sleeps).toEqual([]);
  });

  it("a same-origin redirect is followed with the token", async () => {
    const tokens: (string | null)[] = [];
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => new HttpResponse(null, { status: 308, headers: { Location: "/api/v2/users/alice" } })),
      http.get(`${BASE}/api/v2/users/alice`, ({ request }) => {
        tokens.push(request.headers.get("Coder-Session-Token"));
        return HttpResponse.json({ id: "u-1", username: "alice", roles: [] });
      }),
    );
    expect((await client().me()).username).toBe("alice");
    expect(tokens).toEqual(["secret-token-123"]);
  });

  it("a page with more rows than its limit is exit 8 (E_RESPONSE_LIMIT), not retried", async () => {
    let n = 0;
    server.use(
      http.get(`${BASE}/api/v2/workspaces`, () => {
        n++;
        return HttpResponse.json({ workspaces: [workspace(0), workspace(1), workspace(2), workspace(3)], count: 4 });
      }),
    );
    const err = await client().listWorkspaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseLimitError);
    expect((err as ResponseLimitError).exitCode).toBe(ExitCode.ApiShape);
    expect((err as Error).message).toMatch(/more than the 3 rows asked for/);
    expect(n).toBe(1);
  });

  it("a body beyond the bound is exit 8, for single objects and list pages", async () => {
    server.use(
      http.get(`${BASE}/api/v2/users/me`, () => HttpResponse.json({ id: "u-1", username: "a".repeat(5000), roles: [] })),
      http.get(`${BASE}/api/v2/workspaces`, () => HttpResponse.json({ workspaces: [], count: 0, padding: " ".repeat(20_000) })),
    );
    const c = client({ maxBodyBytes: 4096, maxBytesPerRow: 1024 });
    await expect(c.me()).rejects.toThrow(/GET \/api\/v2\/users\/me: the response is larger than 4 KiB/);
    const err = await c.listWorkspaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseLimitError);
  });

  it("an error body is read only up to a bound, and still reported", async () => {
    server.use(http.get(`${BASE}/api/v2/users/me`, () => new HttpResponse("x".repeat(200_000), { status: 400 })));
    const err = await client().me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoderApiError);
    expect((err as Error).message).toMatch(/^GET \/api\/v2\/users\/me: 400 x{200}$/);
  });
});
