import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursCategorizeDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const categorizeDoc = envelopeSchema.extend(quietHoursCategorizeDataSchema.shape);
const GET_WS = "GET /api/v2/workspaces";

const ws = (name: string, started: string) => ({ name, owner: "alice", template: "python-dev", started_at: started, deadline: null });

let sim: TestSim;
let dir: string;
let london: string;
let weekdays: string;

beforeAll(async () => {
  sim = await startSim({
    clock: "2026-01-05T12:00:00Z",
    organizations: [{ name: "engineering" }],
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token" },
      { username: "alice", token: "alice-token" },
    ],
    templates: [{ name: "python-dev", organization: "engineering" }],
    workspaces: [
      ws("spring", "2026-03-29T09:00:00Z"),
      ws("fall", "2026-10-25T09:00:00Z"),
      ws("fall-night", "2026-10-25T07:30:00Z"), // 07:30 GMT, inside the window that ends 08:00 GMT
      ws("chicago", "2026-01-05T15:00:00Z"),
      ws("friday", "2026-01-09T12:00:00Z"),
      ws("saturday", "2026-01-10T12:00:00Z"),
    ],
  });
  dir = scratchDir();
  const qh = { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 };
  london = writeConfig(dir, { quiet_hours: qh });
  weekdays = writeConfig(dir, { quiet_hours: { ...qh, days: ["mon", "tue", "wed", "thu", "fri"] } }, "weekdays.json");
});
afterAll(async () => {
  await sim?.close();
});

async function categorize(now: string, config: string, extra: string[] = []) {
  const r = await runCli(["--url", sim.url, "--config", config, "--now", now, "quiet-hours", "--categorize", "--json", ...extra], {
    env: { CODER_SESSION_TOKEN: sim.ownerToken },
    cwd: dir,
  });
  expect(r.code, r.stderr).toBe(0);
  const doc = categorizeDoc.parse(r.json());
  const find = (name: string) => {
    for (const [category, list] of Object.entries(doc.categories)) {
      const w = list.find((x) => x.name === name);
      if (w) return { category, due_at: w.due_at };
    }
    throw new Error(`${name} not categorised`);
  };
  return { doc, find };
}

describe("quiet-hours across DST, other zones and weekdays-only windows", () => {
  it("spring forward (2026-03-29): 18:30 BST is grace until 19:00 BST; 19:30 BST is stopping", async () => {
    const a = await categorize("2026-03-29T17:30:00Z", london);
    expect(a.find("spring")).toEqual({ category: "quiet_hours_grace", due_at: "2026-03-29T18:00:00.000Z" });
    expect(a.doc.quiet_hours.window).toMatchObject({ start: "2026-03-29T17:00:00.000Z", end: "2026-03-30T07:00:00.000Z" });
    const b = await categorize("2026-03-29T18:30:00Z", london);
    expect(b.find("spring").category).toBe("quiet_hours_stopping");
  });

  it("fall back (2026-10-25): the night window ends 08:00 GMT; 18:30 GMT is grace until 19:00 GMT", async () => {
    const noon = await categorize("2026-10-25T12:00:00Z", london);
    expect(noon.find("fall-night").category).toBe("past_quiet_hours_end");
    expect(noon.find("fall").category).toBe("normal_running");
    expect(noon.doc.quiet_hours.most_recent_window).toMatchObject({ start: "2026-10-24T17:00:00.000Z", end: "2026-10-25T08:00:00.000Z" });
    const eve = await categorize("2026-10-25T18:30:00Z", london);
    expect(eve.find("fall")).toEqual({ category: "quiet_hours_grace", due_at: "2026-10-25T19:00:00.000Z" });
  });

  it("--timezone America/Chicago moves the window to 18:00 CST", async () => {
    const c = await categorize("2026-01-06T00:30:00Z", london, ["--timezone", "America/Chicago"]);
    expect(c.doc.timezone).toBe("America/Chicago");
    expect(c.find("chicago")).toEqual({ category: "quiet_hours_grace", due_at: "2026-01-06T01:00:00.000Z" });
  });

  it("weekdays only: Saturday evening is not quiet; Friday's window still counts as survived", async () => {
    await sim.resetStats();
    const s = await categorize("2026-01-10T20:00:00Z", weekdays);
    expect(s.doc.quiet_hours.active).toBe(false);
    expect(s.doc.quiet_hours.next_window?.start).toBe("2026-01-12T18:00:00.000Z");
    expect(s.find("friday").category).toBe("past_quiet_hours_end");
    expect(s.find("saturday").category).toBe("normal_running");
    const stats = await sim.stats();
    expect(stats.total).toBe(stats.requests[GET_WS]); // categorisation reads the listing only
  });

  it("an unknown --timezone is a usage error", async () => {
    const r = await runCli(["--url", sim.url, "--config", london, "quiet-hours", "--categorize", "--timezone", "Mars/Olympus"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timezone: unknown time zone "Mars/Olympus"');
  });
});
