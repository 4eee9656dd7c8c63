/**
 * Property-based tests of the time-window logic against an independent model (issue 8).
 *
 * The model below asks luxon only for UTC offsets (the tz data) and works out the rest itself:
 * the zone's constant-offset segments around an instant, the earliest instant whose wall clock
 * reads at least a given time (a time in a DST gap moves forward to the first valid
 * instant, an ambiguous one means its first occurrence), and every exact occurrence of a
 * wall-clock time. Instants are drawn uniformly over 2025–2028, near the zones' DST transitions,
 * and snapped onto window boundaries, where off-by-one mistakes live.
 *
 * - quiet-hours windows and categories (src/domain/quiet-window.ts, categorize.ts): inside ⇔
 *   start ≤ now < end of a window starting on a quiet day; grace vs stopping ⇔ now ≥ due; a
 *   workspace started after the window start is due at its start + grace; excluded always wins
 *   (and is never selected, not even with --force); past_quiet_hours_end only outside a window
 *   and only for workspaces started before the most recent window's end.
 * - the prune window (src/domain/user-quiet-hours.ts quietWindowAt): inside ⇔ start ≤ now <
 *   start + duration, start is the latest daily start at or before now, nextStart the first after.
 */
import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { categorize, resolveExclusions, selectStops, type QuietCategory } from "../../src/domain/categorize.js";
import { currentWindow, mostRecentWindow, nextWindow, type QuietPolicy, type Weekday } from "../../src/domain/quiet-window.js";
import { quietWindowAt } from "../../src/domain/user-quiet-hours.js";
import { ws } from "./quiet-fixture.js";

// ---- the model ------------------------------------------------------------------------------

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The zone's UTC offset at `ms`, in minutes (tz data via luxon). */
const offsetAt = (ms: number, zone: string): number => DateTime.fromMillis(ms, { zone }).offset;

interface Segment {
  from: number;
  to: number;
  offset: number;
}

/** Constant-offset segments covering [lo, hi), by hourly sampling and bisection to the millisecond. */
function segments(lo: number, hi: number, zone: string): Segment[] {
  const out: Segment[] = [];
  let start = lo;
  let off = offsetAt(lo, zone);
  for (let t = lo; t < hi; t += HOUR) {
    const next = Math.min(t + HOUR, hi);
    const o = offsetAt(next, zone);
    if (o === off) continue;
    let a = t;
    let b = next;
    while (b - a > 1) {
      const m = a + Math.floor((b - a) / 2);
      if (offsetAt(m, zone) === off) a = m;
      else b = m;
    }
    out.push({ from: start, to: b, offset: off });
    start = b;
    off = o;
  }
  out.push({ from: start, to: hi, offset: off });
  return out;
}

/** The earliest instant whose wall clock reads `wall` or later (`wall` = Date.UTC of the local date and time). */
function firstAtOrAfter(wall: number, zone: string): number {
  for (const s of segments(wall - 16 * HOUR, wall + 16 * HOUR, zone)) {
    // Inside a segment the wall clock is t + offset: increasing.
    if (s.to - 1 + s.offset * MIN < wall) continue;
    return Math.max(s.from, wall - s.offset * MIN);
  }
  throw new Error(`no instant reads ${new Date(wall).toISOString()} in ${zone}`);
}

/**
 * The prune window's daily start for the wall time `wall`: its first exact occurrence (the
 * earlier one when the clocks go back), or, in a gap, the instant moved forward by the gap.
 */
function dailyStarts(wall: number, zone: string): number[] {
  const segs = segments(wall - 16 * HOUR, wall + 16 * HOUR, zone);
  const exact = segs.map((s) => wall - s.offset * MIN).filter((t, i) => t >= segs[i]!.from && t < segs[i]!.to);
  if (exact.length > 0) return [exact[0]!];
  // A gap: the instant that the offset before the gap maps the wall time to.
  const gapAt = segs.findIndex((s) => s.to - 1 + s.offset * MIN >= wall);
  return [wall - segs[Math.max(0, gapAt - 1)]!.offset * MIN];
}

/** Local midnight (as Date.UTC of the local date) of the day `ms` falls on in `zone`. */
function localMidnight(ms: number, zone: string): number {
  const w = ms + offsetAt(ms, zone) * MIN;
  return w - (((w % DAY) + DAY) % DAY);
}

const WEEKDAY_NAMES: Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

interface ModelWindow {
  start: number;
  end: number;
}

/** The quiet window starting on the local day `midnight`, or null when that is not a quiet day. */
function modelWindow(p: QuietPolicy, midnight: number): ModelWindow | null {
  if (p.days && !p.days.includes(WEEKDAY_NAMES[new Date(midnight).getUTCDay()]!)) return null;
  const s = minutesOf(p.start);
  const e = minutesOf(p.end);
  const start = firstAtOrAfter(midnight + s * MIN, p.zone);
  const end = Math.max(start, firstAtOrAfter(midnight + (s >= e ? DAY : 0) + e * MIN, p.zone));
  return { start, end };
}

/** Windows starting on the local days `from`..`to` relative to the day of `now`. */
function modelWindows(p: QuietPolicy, now: number, from: number, to: number): ModelWindow[] {
  const day = localMidnight(now, p.zone);
  const out: ModelWindow[] = [];
  for (let i = from; i <= to; i++) {
    const w = modelWindow(p, day + i * DAY);
    if (w) out.push(w);
  }
  return out;
}

// ---- generators -----------------------------------------------------------------------------

/** DST zones both hemispheres, half- and quarter-hour offsets, a 30-minute DST, DST at midnight, negative DST. */
const ZONES = [
  "UTC",
  "Europe/London",
  "America/Chicago",
  "Australia/Sydney",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "America/St_Johns",
  "Australia/Adelaide",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "America/Santiago",
  "Africa/Casablanca",
  "Europe/Dublin",
];
const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2029, 0, 1);

/** Each zone's offset changes in [FROM, TO), found once. */
const TRANSITIONS = new Map<string, number[]>(
  ZONES.map((z) => [
    z,
    segments(FROM, TO, z)
      .slice(1)
      .map((s) => s.from),
  ]),
);

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 0, 15, 30, 45, 59, 1))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);

/** An instant: uniform over the years, or within two days of one of the zone's DST transitions (minute-aligned). */
const instantIn = (zone: string) => {
  const ts = TRANSITIONS.get(zone)!;
  const uniform = fc.integer({ min: FROM, max: TO - 1 });
  if (ts.length === 0) return uniform;
  const near = fc.tuple(fc.constantFrom(...ts), fc.integer({ min: -48 * 60, max: 48 * 60 })).map(([t, m]) => t + m * MIN);
  return fc.oneof(uniform, near);
};

const DAYS_ALL: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
type Snap = "none" | "start" | "start-1" | "end" | "end-1" | "due" | "due-1";

const policyArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    start: hhmm,
    end: hhmm,
    days: fc.option(fc.subarray(DAYS_ALL, { minLength: 1 }), { nil: null }),
    graceMin: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 180 }), fc.integer({ min: 181, max: 900 })),
  })
  .filter((r) => r.start !== r.end)
  .chain((r) =>
    fc.record({
      policy: fc.constant<QuietPolicy>({ enabled: true, start: r.start, end: r.end, zone: r.zone, graceSeconds: r.graceMin * 60, days: r.days }),
      now: instantIn(r.zone),
      snap: fc.constantFrom<Snap>("none", "none", "start", "start-1", "end", "end-1", "due", "due-1"),
    }),
  );

/** Moves `now` onto a boundary of the window that starts on its local day (or the day before). */
function snapped(p: QuietPolicy, now: number, snap: Snap): number {
  if (snap === "none") return now;
  const w = modelWindows(p, now, -1, 0).at(-1);
  if (!w) return now;
  const at = { start: w.start, end: w.end, due: w.start + p.graceSeconds * 1000 }[snap.replace("-1", "") as "start" | "end" | "due"];
  return snap.endsWith("-1") ? at - 1 : at;
}

const OWNERS = ["alice", "bob", "carol"];
const workspaceArb = fc.record({
  owner: fc.constantFrom(...OWNERS),
  template: fc.constantFrom("python-dev", "legacy"),
  name: fc.constantFrom("dev", "keep"),
  /** Minutes before `now` it was started (0 = right now). */
  startedBeforeMin: fc.oneof(fc.integer({ min: 0, max: 180 }), fc.integer({ min: 0, max: 4 * 24 * 60 })),
  deadlineMin: fc.option(fc.integer({ min: -600, max: 600 }), { nil: null }),
  maxDeadlineMin: fc.option(fc.integer({ min: -600, max: 1200 }), { nil: null }),
});

const exclusionArb = fc.record({
  users: fc.subarray(["bob", "nobody"]),
  templates: fc.subarray(["legacy", "Python Dev"]),
  workspaces: fc.subarray(["carol/keep", "alice/dev"]),
  /** An expiry on the workspace exclusions, minutes from now (past = ignored). */
  expiresMin: fc.option(fc.integer({ min: -120, max: 120 }), { nil: null }),
});

const iso = (ms: number) => new Date(ms).toISOString();

// ---- properties -----------------------------------------------------------------------------

describe("property: quiet-hours windows match the model", () => {
  it("current, most recent and next windows: inside ⇔ start ≤ now < end on a quiet day", () => {
    fc.assert(
      fc.property(policyArb, ({ policy: p, now: raw, snap }) => {
        const now = snapped(p, raw, snap);
        const dt = DateTime.fromMillis(now, { zone: "utc" });
        const model = modelWindows(p, now, -2, 0).filter((w) => w.start <= now && now < w.end);
        expect(model.length).toBeLessThanOrEqual(1);
        const cw = currentWindow(p, dt);
        expect(cw ? { start: iso(cw.start.toMillis()), end: iso(cw.end.toMillis()) } : null).toEqual(
          model[0] ? { start: iso(model[0].start), end: iso(model[0].end) } : null,
        );

        const recent = modelWindows(p, now, -8, 0).filter((w) => w.start <= now).at(-1) ?? null;
        const mr = mostRecentWindow(p, dt);
        expect(mr ? [iso(mr.start.toMillis()), iso(mr.end.toMillis())] : null).toEqual(recent ? [iso(recent.start), iso(recent.end)] : null);

        const next = modelWindows(p, now, 0, 8).find((w) => w.start > now) ?? null;
        const nw = nextWindow(p, dt);
        expect(nw ? iso(nw.start.toMillis()) : null).toEqual(next ? iso(next.start) : null);
      }),
      { numRuns: 250 },
    );
  });

  it("a disabled policy is never inside, and nothing it categorises is a quiet-hours stop", () => {
    fc.assert(
      fc.property(policyArb, fc.array(workspaceArb, { minLength: 1, maxLength: 3 }), ({ policy, now }, specs) => {
        const p = { ...policy, enabled: false };
        const dt = DateTime.fromMillis(now, { zone: "utc" });
        expect(currentWindow(p, dt)).toBeNull();
        const list = specs.map((s) => ws({ owner: s.owner, startedAt: iso(now - s.startedBeforeMin * MIN) }));
        const c = categorize(list, p, resolveExclusions({ excluded_users: [], excluded_templates: [] }, dt, p.zone), dt);
        for (const i of c.items) expect(["normal_running", "ttl_expired"]).toContain(i.category);
        expect(selectStops(c, { force: false })).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe("property: categorisation matches the model", () => {
  it("excluded wins; ttl_expired; stopping vs grace by due; own grace after a restart; past_quiet_hours_end", () => {
    fc.assert(
      fc.property(policyArb, fc.array(workspaceArb, { minLength: 1, maxLength: 4 }), exclusionArb, fc.boolean(), ({ policy: p, now: raw, snap }, specs, ex, force) => {
        const now = snapped(p, raw, snap);
        const dt = DateTime.fromMillis(now, { zone: "utc" });
        const wsExpires = ex.expiresMin === null ? undefined : iso(now + ex.expiresMin * MIN);
        const exclusions = resolveExclusions(
          {
            excluded_users: ex.users,
            excluded_templates: ex.templates,
            excluded_workspaces: ex.workspaces.map((name) => ({ name, reason: "property", ...(wsExpires ? { expires: wsExpires } : {}) })),
          },
          dt,
          p.zone,
        );
        const list = specs.map((s, i) =>
          ws({
            id: `ws-${i}`,
            owner: s.owner,
            name: s.name,
            template: s.template,
            templateDisplay: s.template === "legacy" ? "Legacy" : "Python Dev",
            startedAt: iso(now - s.startedBeforeMin * MIN),
            deadline: s.deadlineMin === null ? null : iso(now + s.deadlineMin * MIN),
            maxDeadline: s.maxDeadlineMin === null ? null : iso(now + s.maxDeadlineMin * MIN),
          }),
        );
        const c = categorize(list, p, exclusions, dt);
        expect(c.items).toHaveLength(list.length);

        const win = modelWindows(p, now, -2, 0).find((w) => w.start <= now && now < w.end) ?? null;
        const recent = modelWindows(p, now, -8, 0).filter((w) => w.start <= now).at(-1) ?? null;
        const graceMs = p.graceSeconds * 1000;
        const wsExclusionActive = ex.expiresMin === null || ex.expiresMin > 0;
        const expected = new Map<string, QuietCategory>();

        specs.forEach((s, i) => {
          const item = c.items[i]!;
          const startedAt = now - s.startedBeforeMin * MIN;
          const excluded =
            ex.users.includes(s.owner) ||
            ex.templates.includes(s.template) ||
            (s.template === "python-dev" && ex.templates.includes("Python Dev")) ||
            (wsExclusionActive && ex.workspaces.includes(`${s.owner}/${s.name}`));
          const expired = (s.deadlineMin !== null && s.deadlineMin <= 0) || (s.maxDeadlineMin !== null && s.maxDeadlineMin <= 0);
          const due = win ? Math.max(win.start, startedAt) + graceMs : null;
          let want: QuietCategory;
          if (excluded) want = "excluded";
          else if (expired) want = "ttl_expired";
          else if (due !== null) want = now >= due ? "quiet_hours_stopping" : "quiet_hours_grace";
          else if (recent && startedAt < recent.end) want = "past_quiet_hours_end";
          else want = "normal_running";
          expected.set(item.workspace.id, want);
          expect({ ws: i, category: item.category }).toEqual({ ws: i, category: want });

          if (excluded) {
            expect(item.dueAt).toBeNull();
            expect(item.quietDue).toBe(false);
          } else if (due !== null) {
            expect(item.dueAt?.toMillis()).toBe(due);
            expect(item.quietDue).toBe(now >= due);
            // A workspace (re)started during the window gets the whole grace from its own start.
            if (startedAt > win!.start) expect(item.dueAt!.toMillis()).toBe(startedAt + graceMs);
          } else {
            expect(item.dueAt).toBeNull();
          }
          if (item.category === "past_quiet_hours_end") {
            expect(win).toBeNull();
            expect(startedAt).toBeLessThan(recent!.end);
          }
        });

        // Stop selection: stopping, plus TTL-expired ones inside quiet hours with their grace over,
        // plus with --force every TTL-expired one; never an excluded one.
        const selected = selectStops(c, { force }).map((s) => s.item.workspace.id);
        const want = c.items
          .filter((i) => {
            const cat = expected.get(i.workspace.id);
            if (cat === "quiet_hours_stopping") return true;
            if (cat !== "ttl_expired") return false;
            return force || (i.dueAt !== null && now >= i.dueAt.toMillis());
          })
          .map((i) => i.workspace.id);
        expect(selected).toEqual(want);
        for (const id of selected) expect(expected.get(id)).not.toBe("excluded");
      }),
      { numRuns: 250 },
    );
  });
});

describe("property: the prune window (quietWindowAt)", () => {
  const arb = fc
    .record({
      zone: fc.constantFrom(...ZONES),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.constantFrom(0, 15, 30, 45, 59),
      durationMin: fc.integer({ min: 1, max: 24 * 60 - 1 }),
      snap: fc.constantFrom<"none" | "start" | "start-1" | "end" | "end-1">("none", "none", "start", "start-1", "end", "end-1"),
    })
    .chain((r) => fc.record({ r: fc.constant(r), now: instantIn(r.zone) }));

  it("inside ⇔ start ≤ now < start + duration; start is the latest daily start at or before now, nextStart the first after", () => {
    fc.assert(
      fc.property(arb, ({ r, now: raw }) => {
        const qs = { hour: r.hour, minute: r.minute, timezone: r.zone };
        const hours = r.durationMin / 60;
        // Every daily start around now, by the model (exact readings, or a gap time moved forward).
        const day = localMidnight(raw, r.zone);
        const starts = [-2, -1, 0, 1, 2].flatMap((d) => dailyStarts(day + d * DAY + (r.hour * 60 + r.minute) * MIN, r.zone));
        let now = raw;
        if (r.snap !== "none") {
          const base = starts.filter((t) => t <= raw).at(-1)!;
          const at = r.snap.startsWith("start") ? base : base + r.durationMin * MIN;
          now = r.snap.endsWith("-1") ? at - 1 : at;
        }
        const w = quietWindowAt(qs, DateTime.fromMillis(now, { zone: "utc" }), hours);
        const start = w.start.toMillis();
        const end = w.end.toMillis();
        const nextStart = w.nextStart.toMillis();
        expect(end - start).toBe(r.durationMin * MIN);
        expect(w.inside).toBe(start <= now && now < end);
        expect(start).toBeLessThanOrEqual(now);
        expect(nextStart).toBeGreaterThan(now);
        expect(starts).toContain(start);
        expect(starts).toContain(nextStart);
        // No daily start between them: start is the latest at or before now, nextStart the first after.
        const between = starts.filter((t) => t > start && t < nextStart);
        expect(between.map(iso)).toEqual([]);
      }),
      { numRuns: 250 },
    );
  });

  it("found by the property: on the night the clocks go back, a start at an ambiguous time is its first occurrence", () => {
    // 01:30 happens twice in London on 2026-10-25: 00:30Z (BST) and 01:30Z (GMT). At 01:10Z the
    // owner's quiet hours began 40 minutes ago; luxon alone resolved 01:30 to 01:30Z, so the
    // window was taken to be yesterday's and the owner seen as outside it.
    for (const [zone, nowIso, startIso] of [
      ["Europe/London", "2026-10-25T01:10:00Z", "2026-10-25T00:30:00Z"],
      ["America/Chicago", "2026-11-01T07:10:00Z", "2026-11-01T06:30:00Z"],
      ["America/St_Johns", "2026-11-01T04:30:00Z", "2026-11-01T04:00:00Z"],
    ] as const) {
      const w = quietWindowAt({ hour: 1, minute: 30, timezone: zone }, DateTime.fromISO(nowIso, { zone: "utc" }), 2);
      expect({ zone, start: iso(w.start.toMillis()), inside: w.inside }).toEqual({ zone, start: new Date(startIso).toISOString(), inside: true });
    }
  });
});
