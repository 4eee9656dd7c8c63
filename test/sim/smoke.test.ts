import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type TestSim } from "../support/sim.js";

describe("demo scenario smoke", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim("demo");
  });
  afterAll(() => sim.close());

  it("lists the demo workspaces", async () => {
    const res = await sim.api("/api/v2/workspaces");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { workspaces: { owner_name: string; name: string; latest_build: { status: string; deadline: string | null; max_deadline: string | null } }[]; count: number };
    console.log(body.workspaces.map((w) => `${w.owner_name}/${w.name} ${w.latest_build.status} ${w.latest_build.deadline} ${w.latest_build.max_deadline}`).join("\n"));
    expect(body.count).toBe(19);
  });
});
