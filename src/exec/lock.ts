/**
 * The run lock: overlapping scheduled runs of mutating commands (quiet-hours --execute, autostop
 * --execute, prune --cleanup, rollback --execute) never act at the same time. One lock file sits
 * per Coder deployment in the state directory (see deploymentLockPath), so every mutating run
 * against one deployment on this host shares it, whatever journal each run writes.
 *
 * The lock is a file created with O_EXCL holding `{pid, hostname, command, started_at}`. A lock
 * left by a dead process on this host (SIGKILL, OOM, power loss) is taken over with a warning; a
 * lock held by a live process, or by another host (state on a shared volume), makes the new run
 * fail fast with RunLockedError (exit 7, E_RUN_LOCKED) before it reads or changes anything.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { SafetyAbortError } from "../errors.js";
import { ensurePrivateDir, stateDir } from "./journal.js";
import { deploymentOrigin } from "../domain/plan.js";

/** What the lock file records about its holder. */
export interface LockOwner {
  pid: number;
  hostname: string;
  command: string;
  started_at: string;
  /** The host's boot id when the lock was written (Linux); a lock from another boot is stale. */
  boot_id?: string;
}

/** Another live run holds the lock: this run did nothing (exit 7). */
export class RunLockedError extends SafetyAbortError {
  override readonly code = "E_RUN_LOCKED";
  constructor(
    readonly lockPath: string,
    readonly holder: LockOwner | null,
  ) {
    super(RunLockedError.describe(lockPath, holder));
  }
  static describe(lockPath: string, h: LockOwner | null): string {
    const who = h
      ? `${h.command || "a coder-agents run"} (pid ${h.pid} on ${h.hostname}, started ${h.started_at})`
      : "another coder-agents run (the lock file is unreadable)";
    return (
      `${who} holds the run lock ${lockPath}; this run did nothing. ` +
      `Overlapping runs never act twice: let the other run finish, or remove the lock file if you are sure no run is active.`
    );
  }
}

export interface LockDeps {
  pid: number;
  hostname: string;
  /** ISO timestamp for `started_at`. */
  nowIso: () => string;
  /** Whether a process with this pid exists on this host (signal 0). */
  isAlive: (pid: number) => boolean;
  warn: (msg: string) => void;
  /** This boot of the host (Linux /proc/sys/kernel/random/boot_id): a lock of this host from another boot is stale whatever its pid now names. */
  bootId?: string | undefined;
}

/**
 * The run lock of one Coder deployment on this host: `<state dir>/locks/<sha256 of the URL>.lock`.
 * Every mutating run against that deployment takes it, whatever journal it writes to, so a
 * systemd run and an admin's shell with another journal can never both stop the same workspaces.
 */
export function deploymentLockPath(stateDirPath: string, url: string): string {
  const hash = createHash("sha256").update(deploymentOrigin(url)).digest("hex").slice(0, 24);
  return join(stateDirPath, "locks", `${hash}.lock`);
}

/** A held lock; release() removes the file (only if it is still ours). Idempotent. */
export interface RunLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** The stale holder taken over, if any. */
  readonly tookOver: LockOwner | null;
  release(): void;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== "number" || typeof o.hostname !== "string") return null;
    return {
      pid: o.pid,
      hostname: o.hostname,
      command: String(o.command ?? ""),
      started_at: String(o.started_at ?? ""),
      ...(typeof o.boot_id === "string" ? { boot_id: o.boot_id } : {}),
    };
  } catch {
    return null;
  }
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Create `path` exclusively with `content`, fsync'd. False when it already exists. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

const GARBLED_STALE_MS = 60_000;

function ageMs(path: string, deps: LockDeps): number {
  try {
    return Date.parse(deps.nowIso()) - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** A lock of this host written in an earlier boot: its run died with the reboot, and its pid may name another process now. */
function fromBeforeBoot(h: LockOwner, deps: LockDeps): boolean {
  return h.hostname === deps.hostname && !!deps.bootId && !!h.boot_id && h.boot_id !== deps.bootId;
}

function isStale(h: LockOwner | null, deps: LockDeps): boolean {
  // Only a lock from this host can be judged: another host's pid means nothing here.
  if (h === null || h.hostname !== deps.hostname) return false;
  return fromBeforeBoot(h, deps) || (h.pid !== deps.pid && !deps.isAlive(h.pid));
}

/**
 * Take the run lock at `path` for `command`, or throw RunLockedError. A stale lock (a dead pid on
 * this host) is taken over with a warning. Concurrent takeovers are serialised by a second
 * O_EXCL file (`<path>.takeover`), so two runs can never both win.
 */
export function acquireRunLock(path: string, command: string, deps: LockDeps): RunLock {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const owner: LockOwner = { pid: deps.pid, hostname: deps.hostname, command, started_at: deps.nowIso(), ...(deps.bootId ? { boot_id: deps.bootId } : {}) };
  const content = JSON.stringify(owner) + "\n";
  let tookOver: LockOwner | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(path, content)) return held(path, owner, content, tookOver);
    const raw = readRaw(path);
    if (raw === null) continue; // released between our create and read: try again
    const holder = parseOwner(raw);
    if (holder && holder.pid === deps.pid && holder.hostname === deps.hostname && !fromBeforeBoot(holder, deps)) {
      // Already held by this process (a command holding it calls code that takes it again):
      // nested use; only the outer holder releases it.
      return { path, owner: holder, tookOver: null, release() {} };
    }
    // A holder killed between create and write leaves an empty or torn file: stale once it has
    // stayed that way for a minute (a live writer finishes in microseconds).
    const garbled = holder === null && ageMs(path, deps) > GARBLED_STALE_MS;
    if (!garbled && !isStale(holder, deps)) throw new RunLockedError(path, holder);
    if (!takeOver(path, raw, deps)) throw new RunLockedError(path, holder);
    deps.warn(
      holder
        ? `run lock ${path} was left by ${holder.command || "a run"} (pid ${holder.pid}, started ${holder.started_at}), which is no longer running${fromBeforeBoot(holder, deps) ? " (it started before this host last booted)" : ""}; taking it over`
        : `run lock ${path} is unreadable and older than a minute; taking it over`,
    );
    tookOver = holder;
  }
  throw new RunLockedError(path, parseOwner(readRaw(path) ?? ""));
}

/** Remove the stale lock whose content is `staleRaw`, under the takeover guard. */
function takeOver(path: string, staleRaw: string, deps: LockDeps): boolean {
  const guard = `${path}.takeover`;
  const mine = JSON.stringify({ pid: deps.pid, hostname: deps.hostname, command: "takeover", started_at: deps.nowIso() });
  if (!createExclusive(guard, mine)) {
    const g = parseOwner(readRaw(guard) ?? "");
    if (!isStale(g, deps)) return false; // someone else is taking over right now
    try {
      unlinkSync(guard);
    } catch {
      /* raced with its owner */
    }
    if (!createExclusive(guard, mine)) return false;
  }
  try {
    // Re-check under the guard: only the very lock we judged stale is removed.
    if (readRaw(path) !== staleRaw) return true; // changed or gone: the caller retries the create
    const aside = `${path}.stale-${deps.pid}`;
    renameSync(path, aside);
    unlinkSync(aside);
    return true;
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      /* already gone */
    }
  }
}

function held(path: string, owner: LockOwner, content: string, tookOver: LockOwner | null): RunLock {
  let released = false;
  return {
    path,
    owner,
    tookOver,
    release() {
      if (released) return;
      released = true;
      try {
        if (readRaw(path) === content) unlinkSync(path);
      } catch {
        /* gone already: nothing to release */
      }
    },
  };
}

/**
 * Run `fn` while holding the run lock at `path`; the lock is released afterwards, also when `fn`
 * throws. The process exiting on a second signal leaves the lock behind, which the next run on
 * this host takes over (dead pid).
 */
export async function withRunLock<T>(path: string, command: string, deps: LockDeps, fn: (lock: RunLock) => Promise<T>): Promise<T> {
  const lock = acquireRunLock(path, command, deps);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}

/**
 * The run lock of the deployment this run talks to (one per Coder URL on this host, in the state
 * directory, whatever the journal path), with the state directory made private first.
 */
export function runLockPath(ctx: { env: Record<string, string | undefined>; home: string; client(): { baseUrl: string } }): string {
  const dir = stateDir(ctx.env, ctx.home);
  ensurePrivateDir(dir, true);
  return deploymentLockPath(dir, ctx.client().baseUrl);
}
