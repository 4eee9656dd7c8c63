/**
 * The real dependencies of the agent's components (process, host, clock, file system, network),
 * built here in the composition root and nowhere else: components outside src/cli take them as
 * arguments (AppContext, NotifyDeps, LockDeps), so tests give them fakes.
 */
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import type { DateTime } from "luxon";
import { readRegularFile } from "../config/files.js";
import type { LockDeps } from "../exec/lock.js";
import type { NotifyDeps, WebhookFetch } from "../exec/notify.js";

/** The kernel's id of this boot, or undefined where there is none (non-Linux). */
export function currentBootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` names a live process (EPERM means it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Run-lock dependencies: this process, this host and boot, the run's wall clock. */
export function realLockDeps(clock: () => DateTime, warn: (msg: string) => void): LockDeps {
  return { pid: process.pid, hostname: osHostname(), nowIso: () => clock().toUTC().toISO()!, isAlive: pidAlive, warn, bootId: currentBootId() };
}

/**
 * Notification dependencies: webhooks go through the run's fetch (the same dispatcher, proxy and CA
 * handling as the Coder client, but never its session token: that header is added only by the
 * Coder client), smtp.password_file is read as a regular, size-limited file.
 */
export function realNotifyDeps(o: {
  fetch: WebhookFetch;
  clock: () => DateTime;
  sleep: (ms: number) => Promise<void>;
  timeoutMs: number;
  resolvePath: (p: string) => string;
}): NotifyDeps {
  return {
    fetch: o.fetch,
    readFile: (p) => {
      const text = readRegularFile(o.resolvePath(p), "file");
      if (text === null) throw Object.assign(new Error("not found"), { code: "ENOENT" });
      return text;
    },
    now: () => o.clock().toJSDate(),
    timeoutMs: o.timeoutMs,
    sleep: o.sleep,
  };
}
