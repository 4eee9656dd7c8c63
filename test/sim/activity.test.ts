import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

let sim: TestSim;
beforeAll(async () => {
  sim = await startSim(
    miniScenario({
      workspaces: [{ name: "dev", owner: "alice", template: "python-dev", started_at: "-2h", last_used_at: "-90m" }],
    }),
    { frozenClock: true },
  );
});
afterAll(async () => {
  await sim?.close();
});

async function lastUsed(): Promise<string> {
  const res = await sim.api("/api/v2/workspaces?q=owner:alice");
  const body = (await res.json()) as { workspaces: { name: string; last_used_at: string }[] };
  return body.workspaces.find((w) => w.name === "dev")!.last_used_at;
}

describe("POST /__sim/workspaces/{owner}/{name}/activity", () => {
  it("sets last_used_at from the scenario's -90m to an offset, an instant and the clock's now", async () => {
    expect(await lastUsed()).toBe("2026-01-05T18:00:00Z");
    await sim.setLastUsed("alice/dev", "-3d");
    expect(await lastUsed()).toBe("2026-01-02T19:30:00Z");
    await sim.setLastUsed("alice/dev", "2026-01-05T12:15:00Z");
    expect(await lastUsed()).toBe("2026-01-05T12:15:00Z");
    await sim.setClock("2026-01-05T20:00:00Z", true);
    await sim.setLastUsed("alice/dev");
    expect(await lastUsed()).toBe("2026-01-05T20:00:00Z");
  });

  it("answers 404 for an unknown workspace and 400 for a bad instant", async () => {
    const unknown = await fetch(`${sim.url}/__sim/workspaces/alice/nope/activity`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    const bad = await fetch(`${sim.url}/__sim/workspaces/alice/dev/activity`, { method: "POST", body: JSON.stringify({ last_used_at: "yesterday" }) });
    expect(bad.status).toBe(400);
    const notString = await fetch(`${sim.url}/__sim/workspaces/alice/dev/activity`, { method: "POST", body: JSON.stringify({ last_used_at: 5 }) });
    expect(notString.status).toBe(400);
  });
});
