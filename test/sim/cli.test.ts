import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSimulate } from "../../src/sim/cli.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) } };
}

describe("runSimulate", () => {
  it("prints one JSON line when ready, serves, and stops on abort with 0", async () => {
    const c = capture();
    const ac = new AbortController();
    const done = runSimulate({ scenario: "demo", frozen: true }, { ...c.io, signal: ac.signal });
    for (let i = 0; i < 100 && c.out.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.out).toHaveLength(1);
    const line = c.out[0] ?? "";
    expect(line.endsWith("\n")).toBe(true);
    const ready = JSON.parse(line) as { url: string; token: string; users: Record<string, string> };
    expect(ready.token).toBe("admin-token");
    expect(ready.users["alice"]).toBe("alice-token");
    expect(ready.users["on-call-engineer"]).toBe("on-call-engineer-token");
    const me = await fetch(`${ready.url}/api/v2/users/me`, { headers: { "Coder-Session-Token": ready.token } });
    expect(((await me.json()) as { username: string }).username).toBe("admin");
    ac.abort();
    expect(await done).toBe(0);
    await expect(fetch(`${ready.url}/api/v2/buildinfo`)).rejects.toThrow();
  });

  it("a bad scenario file → message on stderr and 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-cli-"));
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ users: [{ username: "x", colour: "red" }] }));
    const c = capture();
    expect(await runSimulate({ scenario: file }, c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join("")).toMatch(/scenario\.users\[0\]\.colour: unknown key/);
    const c2 = capture();
    expect(await runSimulate({ scenario: join(dir, "missing.json") }, c2.io)).toBe(2);
    const c3 = capture();
    expect(await runSimulate({ clock: "yesterday" }, c3.io)).toBe(2);
  });

  it("a port out of range or already in use → a message naming --port and 2 (not an internal error)", async () => {
    const c = capture();
    expect(await runSimulate({ port: 70000 }, c.io)).toBe(2);
    expect(c.err.join("")).toMatch(/--port must be 0 .* to 65535, got 70000/);
    const first = capture();
    const ac = new AbortController();
    const done = runSimulate({ frozen: true }, { ...first.io, signal: ac.signal });
    for (let i = 0; i < 100 && first.out.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const port = Number(new URL((JSON.parse(first.out[0] ?? "{}") as { url: string }).url).port);
    const c2 = capture();
    expect(await runSimulate({ port, frozen: true }, c2.io)).toBe(2);
    expect(c2.out).toEqual([]);
    expect(c2.err.join("")).toMatch(new RegExp(`port ${port} is already in use; choose another with --port N`));
    ac.abort();
    expect(await done).toBe(0);
  });

  it("--clock overrides the scenario clock", async () => {
    const c = capture();
    const ac = new AbortController();
    const done = runSimulate({ clock: "2026-01-06T09:30:00Z", frozen: true, rateLimit: 0 }, { ...c.io, signal: ac.signal });
    for (let i = 0; i < 100 && c.out.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const ready = JSON.parse(c.out[0] ?? "{}") as { url: string };
    const clock = (await (await fetch(`${ready.url}/__sim/clock`)).json()) as { now: string };
    expect(clock.now).toBe("2026-01-06T09:30:00Z");
    ac.abort();
    expect(await done).toBe(0);
  });
});
