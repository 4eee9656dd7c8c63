/**
 * Webhooks go through the run's injected fetch with the run's dispatcher (the same proxy and CA
 * handling as the Coder client), and never carry the Coder session token: the token goes only to
 * the Coder origin. In-process through runCli, against the simulator and a loopback webhook.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { startWebhook, type TestWebhook } from "../support/webhook.js";

const NOW = "2026-01-05T20:00:00Z";

describe("webhook notifications use the injected fetch", () => {
  let sim: TestSim;
  let hook: TestWebhook;
  beforeAll(async () => {
    [sim, hook] = await Promise.all([
      startSim(
        miniScenario({
          clock: NOW,
          workspaces: [{ name: "dev", owner: "alice", template: "python-dev", status: "running" as const, started_at: "-5h", deadline: "+5h" }],
        }),
      ),
      startWebhook(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), hook.close()]);
  });

  it("the summary is posted through deps.fetch with the run's dispatcher, without the session token", async () => {
    const dir = scratchDir();
    const cfg = writeConfig(dir, {
      quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "UTC", grace_period_hours: 1 },
      notifications: { slack_webhook: `${hook.url}/slack` },
      journal: { path: join(dir, "journal.ndjson") },
    });
    const DISPATCHER = { name: "the run's dispatcher" };
    const calls: { url: string; dispatcher: unknown; headers: Record<string, string> }[] = [];
    let out = "";
    let err = "";
    const code = await runCli({
      argv: ["--config", cfg, "--url", sim.url, "--now", NOW, "quiet-hours", "--execute", "--json"],
      io: { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stdoutIsTTY: false, stderrIsTTY: false },
      env: { HOME: dir, XDG_STATE_HOME: join(dir, ".state"), NO_COLOR: "1", CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: dir,
      home: dir,
      fetch: (input, init) => {
        const { dispatcher, ...rest } = init as RequestInit & { dispatcher?: unknown };
        calls.push({ url: input, dispatcher, headers: Object.fromEntries(new Headers(rest.headers).entries()) });
        return fetch(input, rest);
      },
      makeDispatcher: () => DISPATCHER,
      clockIso: () => NOW,
      signal: new AbortController().signal,
      interruptedBy: () => null,
      clientOverrides: { maxRetries: 1, backoffBaseMs: 1 },
    });
    expect(code, err).toBe(0);
    const doc = JSON.parse(out) as { summary: { succeeded: number }; notifications: { channel: string; ok: boolean }[] };
    expect(doc.summary.succeeded).toBe(1);
    expect(doc.notifications).toEqual([expect.objectContaining({ channel: "slack", ok: true })]);

    const toHook = calls.filter((c) => c.url.startsWith(hook.url));
    const toCoder = calls.filter((c) => c.url.startsWith(sim.url));
    expect(toHook).toHaveLength(1);
    expect(toHook[0]!.dispatcher).toBe(DISPATCHER);
    expect(toCoder.length).toBeGreaterThan(0);
    expect(toCoder.every((c) => c.dispatcher === DISPATCHER)).toBe(true);
    // The token goes to Coder, in its header, and nowhere else.
    expect(toCoder.every((c) => c.headers["coder-session-token"] === sim.ownerToken)).toBe(true);
    expect(JSON.stringify(toHook[0]!.headers)).not.toContain(sim.ownerToken);
    expect(hook.requests).toHaveLength(1);
    expect(JSON.stringify(hook.requests[0]!.headers)).not.toContain(sim.ownerToken);
  });
});
