import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketTtl, classifyTtl, effectiveStop, failOnMatched, withTemplates, type TtlWorkspaceInput } from "../../src/domain/ttl.js";

const NOW = Date.parse("2026-01-05T19:30:00Z");

function ws(name: string, status: string, deadline: string | null, max: string | null = null, owner = "alice"): TtlWorkspaceInput {
  return {
    id: `id-${name}`,
    owner_name: owner,
    name,
    template_id: "t1",
    template_name: "python-dev",
    organization_name: "engineering",
    ttl_ms: 28_800_000,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-05T16:30:00Z",
    last_used_at: null,
    latest_build: { status, deadline, max_deadline: max },
  };
}
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();
const at_ms = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

describe("classifyTtl", () => {
  it.each([
    ["deadline 1 ms ago", at_ms(-1), null, "EXPIRED", -1],
    ["deadline 2h ago", at(-7200), null, "EXPIRED", -7200],
    ["deadline exactly now: Coder stops when the tick is not before the deadline (coderd/autobuild/lifecycle_executor.go isEligibleForAutostop)", at(0), null, "EXPIRED", 0],
    ["deadline in 30 min", at(1800), null, "EXPIRING_SOON", 1800],
    ["deadline exactly at the threshold", at(3600), null, "EXPIRING_SOON", 3600],
    ["deadline 1 s past the threshold", at(3601), null, "RUNNING", 3601],
    ["deadline far ahead, max_deadline passed", at(7200), at(-60), "EXPIRED", -60],
    ["no deadline, max_deadline in 20 min", null, at(1200), "EXPIRING_SOON", 1200],
  ])("%s", (_label, deadline, max, expected, seconds) => {
    const r = classifyTtl(ws("w", "running", deadline, max), NOW, 3600);
    expect(r.complianceStatus).toBe(expected);
    expect(r.secondsRemaining).toBe(seconds);
    expect(r.stopsOnlyManually).toBe(false);
  });

  it("running with no deadline and no max_deadline stops only manually", () => {
    const r = classifyTtl(ws("w", "running", null, null), NOW, 3600);
    expect(r).toMatchObject({ bucket: "running", complianceStatus: "RUNNING", stopsOnlyManually: true, secondsRemaining: null });
  });

  it("a threshold of 90 minutes moves a 75-minute workspace into EXPIRING_SOON", () => {
    expect(classifyTtl(ws("w", "running", at(4500)), NOW, 3600).complianceStatus).toBe("RUNNING");
    expect(classifyTtl(ws("w", "running", at(4500)), NOW, 5400).complianceStatus).toBe("EXPIRING_SOON");
  });

  it("a stopped workspace with a past deadline is STOPPED, not EXPIRED", () => {
    expect(classifyTtl(ws("w", "stopped", at(-7200)), NOW, 3600)).toMatchObject({ bucket: "stopped", complianceStatus: "STOPPED" });
  });

  it.each(["starting", "stopping", "pending", "failed", "canceling", "canceled", "deleting"])("%s is reported as itself", (status) => {
    const r = classifyTtl(ws("w", status, at(-7200)), NOW, 3600);
    expect(r.bucket).toBe("transitional");
    expect(r.complianceStatus).toBe(status.toUpperCase());
  });
});

describe("effectiveStop", () => {
  it("takes the earlier of deadline and max_deadline; ties go to the deadline", () => {
    expect(effectiveStop({ deadline: at(100), max_deadline: at(50) })).toMatchObject({ source: "max_deadline", at: at(50) });
    expect(effectiveStop({ deadline: at(50), max_deadline: at(100) })).toMatchObject({ source: "deadline" });
    expect(effectiveStop({ deadline: at(50), max_deadline: at(50) })).toMatchObject({ source: "deadline" });
    expect(effectiveStop({ deadline: null, max_deadline: null })).toMatchObject({ source: null, at: null });
  });
});

describe("bucketTtl", () => {
  it("sorts expired most overdue first and expiring soonest first; other buckets keep listing order", () => {
    const list = [
      ws("a", "running", at(-60)),
      ws("b", "running", at(600)),
      ws("c", "running", at(-7200)),
      ws("d", "running", at(60)),
      ws("e", "stopped", null),
      ws("f", "running", null),
      ws("g", "starting", null),
      ws("h", "running", at(99999)),
    ];
    const b = bucketTtl(list, NOW, 3600);
    expect(b.expired.map((x) => x.workspace.name)).toEqual(["c", "a"]);
    expect(b.expiring_soon.map((x) => x.workspace.name)).toEqual(["d", "b"]);
    expect(b.running.map((x) => x.workspace.name)).toEqual(["f", "h"]);
    expect(b.stopped.map((x) => x.workspace.name)).toEqual(["e"]);
    expect(b.transitional.map((x) => x.workspace.name)).toEqual(["g"]);
  });
});

describe("withTemplates", () => {
  it("gives what bucketTtl with the templates gives, classifying only the expiring-soon workspaces again", () => {
    const offset = fc.option(fc.integer({ min: -3 * 3600, max: 3 * 3600 }), { nil: null });
    const row = fc.record({
      status: fc.constantFrom("running", "running", "stopped", "starting"),
      deadline: offset,
      max: offset,
      usedAgo: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: null }),
      template: fc.constantFrom("t1", "t2", "t3"),
    });
    const bumps = new Map<string, number | null>([["t1", null], ["t2", 0], ["t3", 2 * 3600_000]]);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const list = rows.map((r, i) => ({
          ...ws(`w${String(i).padStart(2, "0")}`, r.status, r.deadline === null ? null : at(r.deadline), r.max === null ? null : at(r.max), `o${i % 3}`),
          template_id: r.template,
          last_used_at: r.usedAgo === null ? null : at(-r.usedAgo),
        }));
        const templateOf = (w: TtlWorkspaceInput) => ({ activityBumpMs: bumps.get(w.template_id) ?? null });
        const whole = bucketTtl(list, NOW, 3600, templateOf);
        const calls: string[] = [];
        const counted = (w: TtlWorkspaceInput) => (calls.push(w.id), templateOf(w));
        const first = bucketTtl(list, NOW, 3600);
        expect(withTemplates(first, list, NOW, 3600, counted)).toEqual(whole);
        expect(calls.sort()).toEqual(first.expiring_soon.map((a) => a.workspace.id).sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe("failOnMatched", () => {
  it("expired gates on expired only; expiring on expired or expiring soon", () => {
    expect(failOnMatched("expired", { expired: 0, expiring_soon: 3 })).toBe(false);
    expect(failOnMatched("expired", { expired: 1, expiring_soon: 0 })).toBe(true);
    expect(failOnMatched("expiring", { expired: 0, expiring_soon: 1 })).toBe(true);
    expect(failOnMatched("expiring", { expired: 1, expiring_soon: 0 })).toBe(true);
    expect(failOnMatched("expiring", { expired: 0, expiring_soon: 0 })).toBe(false);
    expect(failOnMatched(null, { expired: 5, expiring_soon: 5 })).toBe(false);
  });
});
