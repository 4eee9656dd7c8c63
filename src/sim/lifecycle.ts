/**
 * State that moves while a run reads it:
 *
 * - LifecycleExecutor: Coder's autobuild executor (coderd/autobuild), one tick per minute of the
 *   simulated clock. At each tick, for every workspace whose latest build is not in progress:
 *   activity bump (deadline → tick + template activity_bump_ms, capped at max_deadline, for
 *   workspaces used since the previous tick or with open connections), then the first rule that
 *   applies: owner suspended → stop (reason autostop); past deadline or max_deadline → stop
 *   (autostop); failed start older than failure_ttl_ms → stop (autostop); unused for
 *   time_til_dormant_ms → dormant_at/deleting_at set and, if running, stop (dormancy); dormant past
 *   deleting_at → delete (autodelete). Autostart is not simulated.
 * - Churn: starts and stops random workspaces at a fixed rate of real time (e.g. 10 per second),
 *   the way users do at the start of a working day, so listings can be tested against a fleet that
 *   changes between page reads.
 */
import { prng } from "./ids.js";
import { type Workspace, isDeleted, isJobActive, latestBuild } from "./model.js";
import type { Store } from "./store.js";

const MINUTE = 60_000;

export interface LifecycleStats {
  ticks: number;
  stops: Record<string, number>;
  deletes: number;
  dormant: number;
  bumps: number;
}

export class LifecycleExecutor {
  enabled: boolean;
  /** The last minute boundary (ms) a tick ran for. */
  private lastTick: number;
  readonly stats: LifecycleStats = { ticks: 0, stops: {}, deletes: 0, dormant: 0, bumps: 0 };

  constructor(
    private readonly store: Store,
    enabled: boolean,
  ) {
    this.enabled = enabled;
    this.lastTick = Math.floor(store.clock.now() / MINUTE) * MINUTE;
  }

  /** Runs a tick if the simulated clock has crossed a minute boundary since the last one. */
  catchUp(): void {
    const boundary = Math.floor(this.store.clock.now() / MINUTE) * MINUTE;
    if (boundary <= this.lastTick) return;
    const previous = this.lastTick;
    this.lastTick = boundary;
    // A clock moved by hours runs one tick at the newest boundary: every rule compares against
    // the tick instant, so the outcome is the same as running each missed tick.
    if (this.enabled) this.tick(boundary, previous);
  }

  /** One executor pass at instant `at` (`since`: the previous tick, for "recent activity"). */
  tick(at: number, since = at - MINUTE): void {
    const store = this.store;
    store.settle();
    this.stats.ticks++;
    for (const ws of [...store.workspaceById.values()]) {
      if (isDeleted(ws)) continue;
      const b = latestBuild(ws);
      if (isJobActive(b)) continue;
      const template = store.templateById.get(ws.templateId);
      const owner = store.userById.get(ws.ownerId);
      if (!template || !owner) continue;
      const running = b.transition === "start" && b.jobStatus === "succeeded";

      if (running && ws.dormantAt === null) this.bump(ws, at, since, template.activityBumpMs);

      if (running && owner.status === "suspended") {
        this.build(ws, "stop", "autostop");
        continue;
      }
      const stopAt = minOf(b.deadline, b.maxDeadline);
      if (running && stopAt !== null && at >= stopAt) {
        this.build(ws, "stop", "autostop");
        continue;
      }
      if (b.transition === "start" && b.jobStatus === "failed" && template.failureTtlMs > 0 && at - (b.completedAt ?? b.createdAt) >= template.failureTtlMs) {
        this.build(ws, "stop", "autostop");
        continue;
      }
      if (ws.dormantAt === null && template.timeTilDormantMs > 0 && ws.lastUsedAt !== null && at - ws.lastUsedAt >= template.timeTilDormantMs) {
        ws.dormantAt = at;
        ws.deletingAt = template.timeTilDormantAutodeleteMs > 0 ? at + template.timeTilDormantAutodeleteMs : null;
        ws.updatedAt = at;
        this.stats.dormant++;
        if (b.transition === "start") this.build(ws, "stop", "dormancy");
        continue;
      }
      if (ws.dormantAt !== null && ws.deletingAt !== null && at >= ws.deletingAt && b.transition !== "delete") {
        this.build(ws, "delete", "autodelete");
      }
    }
  }

  /** Coder's activity bump: push the deadline to at + bump (never past max_deadline, never earlier). */
  private bump(ws: Workspace, at: number, since: number, bumpMs: number): void {
    const b = latestBuild(ws);
    if (bumpMs <= 0 || b.deadline === null) return;
    const active = ws.connections > 0 || (ws.lastUsedAt !== null && ws.lastUsedAt > since);
    if (!active) return;
    if (ws.connections > 0) ws.lastUsedAt = at;
    let next = at + bumpMs;
    if (b.maxDeadline !== null && next > b.maxDeadline) next = b.maxDeadline;
    if (next > b.deadline) {
      b.deadline = next;
      this.stats.bumps++;
    }
  }

  private build(ws: Workspace, transition: "stop" | "delete", reason: string): void {
    const owner = this.store.userById.get(ws.ownerId);
    if (!owner) return;
    this.store.createBuild(ws, transition, reason, owner);
    if (transition === "delete") this.stats.deletes++;
    else this.stats.stops[reason] = (this.stats.stops[reason] ?? 0) + 1;
  }
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Starts and stops random workspaces at `perSecond` changes per second of real time. */
export class Churn {
  private timer: NodeJS.Timeout | null = null;
  private startedReal = 0;
  private done = 0;
  private readonly rand: () => number;
  /** Changes made since the simulator started (all rates). */
  changes = 0;

  constructor(
    private readonly store: Store,
    private rate: number,
    seed: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {
    this.rand = prng(seed ^ 0x5eed);
    this.setRate(rate);
  }

  get perSecond(): number {
    return this.rate;
  }

  setRate(perSecond: number): void {
    this.rate = perSecond;
    this.startedReal = this.realNow();
    this.done = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (perSecond > 0) {
      this.timer = setInterval(() => this.catchUp(), Math.max(10, Math.min(100, 1000 / perSecond)));
      this.timer.unref();
    }
  }

  /** Makes the changes due by now (also called before each API request, so reads see them). */
  catchUp(): void {
    if (this.rate <= 0) return;
    const due = Math.floor(((this.realNow() - this.startedReal) / 1000) * this.rate);
    if (due <= this.done) return;
    const store = this.store;
    store.settle();
    const pool = store.listedWorkspaces();
    for (; this.done < due; this.done++) {
      for (let attempt = 0; attempt < 20 && pool.length > 0; attempt++) {
        const ws = pool[Math.floor(this.rand() * pool.length)];
        if (!ws || this.flip(ws)) break;
      }
    }
  }

  /** Stops a running workspace or starts a stopped/failed one; false when it is busy. */
  private flip(ws: Workspace): boolean {
    const b = latestBuild(ws);
    if (isJobActive(b) || b.transition === "delete") return false;
    const owner = this.store.userById.get(ws.ownerId);
    if (!owner) return false;
    const running = b.transition === "start" && b.jobStatus === "succeeded";
    this.store.createBuild(ws, running ? "stop" : "start", "initiator", owner);
    this.changes++;
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
