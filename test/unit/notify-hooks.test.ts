import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../src/cli/context.js";
import { DEFAULT_CONFIG, type AgentsConfig } from "../../src/config/schema.js";
import type { JournalRecord } from "../../src/exec/journal.js";
import {
  notificationsEnabled,
  selectWarnings,
  upcomingQuietStops,
  warnedAlready,
  warningLines,
  warnUpcomingStops,
  type GraceWorkspace,
} from "../../src/exec/notify-hooks.js";
import { realNotifyDeps } from "../../src/cli/deps.js";
import type { Categorization } from "../../src/domain/categorize.js";

const now = DateTime.fromISO("2026-01-05T18:40:00Z", { zone: "utc" });
const W0 = "2026-01-05T18:00:00.000Z";

const grace = (id: string, due: string, windowStart = W0): GraceWorkspace => ({ id, owner: "alice", name: id, template: "t", due_at: due, window_start: windowStart });

describe("stopping-soon warnings", () => {
  it("selects workspaces due within the threshold, not yet due, not warned in this window", () => {
    const list = [
      grace("in20", "2026-01-05T19:00:00Z"),
      grace("in30", "2026-01-05T19:10:00Z"), // exactly at the threshold: included
      grace("in31", "2026-01-05T19:11:00Z"),
      grace("past", "2026-01-05T18:39:00Z"), // due already: the stop, not a warning, handles it
      grace("warned", "2026-01-05T18:50:00Z"),
    ];
    const warned = new Set([`warned@${W0}`]);
    expect(selectWarnings(list, warned, now, 30).map((w) => w.id)).toEqual(["in20", "in30"]);
  });

  it("a journal that cannot be read: nothing is sent, each channel reports the warning as not sent (exit 5), no exception", async () => {
    const notDir = join(mkdtempSync(join(tmpdir(), "warn-")), "journal-is-a-dir");
    mkdirSync(notDir);
    const config = {
      ...DEFAULT_CONFIG,
      notifications: { ...DEFAULT_CONFIG.notifications, slack_webhook: "https://hooks.slack.com/services/T/B/SECRET", notification_threshold_minutes: 30 },
    };
    const ctx = { config, now, clock: () => now, logger: pino({ level: "silent" }) } as unknown as AppContext;
    const posted: string[] = [];
    const deps = { ...realNotifyDeps({ fetch: (url, init) => fetch(url, init), clock: () => now, sleep: async () => {}, timeoutMs: 1000, resolvePath: (p) => p }), fetch: async (url: string) => (posted.push(url), { status: 200, text: async () => "ok", headers: { get: () => null } }) };
    const out = await warnUpcomingStops(ctx, [grace("a", "2026-01-05T19:00:00Z")], { send: true, journalPath: notDir, deps });
    expect(posted).toEqual([]);
    expect(out.warned).toEqual([]);
    expect(out.results).toEqual([
      { channel: "slack", kind: "warning", ok: false, target: "hooks.slack.com", error: expect.stringMatching(/^warning not sent: the journal .*journal-is-a-dir, which records who was already warned, cannot be read \(EISDIR/) },
    ]);
    expect(JSON.stringify(out)).not.toContain("SECRET");
  });

  it("a warning from an earlier window does not suppress this window's", () => {
    const warned = new Set(["a@2026-01-04T18:00:00.000Z"]);
    expect(selectWarnings([grace("a", "2026-01-05T19:00:00Z")], warned, now, 30)).toHaveLength(1);
  });

  it("only delivered warning notices count as warned", () => {
    const notice = (delivered: boolean, id: string): JournalRecord => ({
      type: "notice",
      v: 1,
      run_id: "n",
      at: "2026-01-05T18:30:00Z",
      kind: "warning",
      delivered,
      channels: [],
      workspaces: [{ id, owner: "alice", name: id, window_start: W0, due_at: "2026-01-05T19:00:00Z" }],
    });
    expect([...warnedAlready([notice(true, "a"), notice(false, "b")])]).toEqual([`a@${W0}`]);
  });

  it("upcomingQuietStops: grace workspaces inside a window; every non-excluded workspace before one", () => {
    const ws = (id: string) => ({ id, owner_name: "alice", name: id, template_name: "py", template_display_name: "" });
    const inside = {
      window: { start: DateTime.fromISO(W0, { zone: "utc" }) },
      nextWindow: null,
      policy: { enabled: true, graceSeconds: 3600 },
      items: [
        { workspace: ws("g"), category: "quiet_hours_grace", dueAt: DateTime.fromISO("2026-01-05T19:00:00Z", { zone: "utc" }) },
        { workspace: ws("s"), category: "quiet_hours_stopping", dueAt: DateTime.fromISO("2026-01-05T19:00:00Z", { zone: "utc" }) },
        { workspace: ws("x"), category: "excluded", dueAt: null },
      ],
    } as unknown as Categorization;
    expect(upcomingQuietStops(inside)).toEqual([{ id: "g", owner: "alice", name: "g", template: "py", due_at: "2026-01-05T19:00:00.000Z", window_start: W0 }]);
    const before = {
      ...inside,
      window: null,
      nextWindow: { start: DateTime.fromISO("2026-01-05T18:00:00Z", { zone: "utc" }) },
      items: [
        { workspace: ws("n"), category: "normal_running", dueAt: null },
        { workspace: ws("x"), category: "excluded", dueAt: null },
      ],
    } as unknown as Categorization;
    expect(upcomingQuietStops(before).map((w) => [w.id, w.due_at])).toEqual([["n", "2026-01-05T19:00:00.000Z"]]);
    expect(upcomingQuietStops({ ...before, policy: { enabled: false, graceSeconds: 0 } } as unknown as Categorization)).toEqual([]);
  });

  it("notifications are off without channels, and autostop's are gated by autostop.notification_enabled", () => {
    const cfg = (over: Partial<AgentsConfig["notifications"]>, autostopOn = true) =>
      ({ config: { ...DEFAULT_CONFIG, notifications: { ...DEFAULT_CONFIG.notifications, ...over }, autostop: { ...DEFAULT_CONFIG.autostop, notification_enabled: autostopOn } } }) as unknown as { config: AgentsConfig };
    expect(notificationsEnabled(cfg({}), "quiet-hours")).toBe(false);
    expect(notificationsEnabled(cfg({ slack_webhook: "https://x" }), "quiet-hours")).toBe(true);
    expect(notificationsEnabled(cfg({ slack_webhook: "https://x" }, false), "autostop")).toBe(false);
    expect(notificationsEnabled(cfg({ slack_webhook: "https://x" }, false), "prune")).toBe(true);
  });

  it("warningLines says what was (or would be) warned", () => {
    expect(warningLines(null, false)).toEqual([]);
    expect(warningLines({ warned: [grace("a", "2026-01-05T19:00:00Z")], already: 2, results: [] }, true)).toEqual([
      "⏰ [DRY RUN] Would warn: 1 workspace stopping soon (alice/a)",
      "⏰ 2 workspaces were already warned in this window",
    ]);
  });
});
