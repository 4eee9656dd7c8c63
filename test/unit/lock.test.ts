import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pidAlive } from "../../src/cli/deps.js";
import { acquireRunLock, deploymentLockPath, RunLockedError, withRunLock, type LockDeps } from "../../src/exec/lock.js";
import { ExitCode } from "../../src/errors.js";

function deps(over: Partial<LockDeps> = {}): LockDeps & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    pid: 1000,
    hostname: "host-a",
    nowIso: () => "2026-01-05T19:30:00.000Z",
    isAlive: () => true,
    warn: (m) => warnings.push(m),
    warnings,
    ...over,
  };
}

const dir = () => mkdtempSync(join(tmpdir(), "lock-test-"));

describe("run lock", () => {
  it("creates the lock with pid, hostname, command and start time, and removes it on release", () => {
    const path = join(dir(), "state", "journal.ndjson.lock");
    const lock = acquireRunLock(path, "quiet-hours", deps());
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      pid: 1000,
      hostname: "host-a",
      command: "quiet-hours",
      started_at: "2026-01-05T19:30:00.000Z",
    });
    lock.release();
    expect(existsSync(path)).toBe(false);
    lock.release(); // idempotent
  });

  it("fails fast with exit 7 and names the holder when a live process holds it", () => {
    const path = join(dir(), "j.lock");
    acquireRunLock(path, "prune", deps({ pid: 2000 }));
    let err: unknown;
    try {
      acquireRunLock(path, "quiet-hours", deps({ pid: 3000, isAlive: (p) => p === 2000 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunLockedError);
    const e = err as RunLockedError;
    expect(e.exitCode).toBe(ExitCode.SafetyAbort);
    expect(e.code).toBe("E_RUN_LOCKED");
    expect(e.message).toContain("prune (pid 2000 on host-a");
    expect(e.message).toContain("this run did nothing");
  });

  it("takes over a lock left by a dead process on this host, with a warning", () => {
    const path = join(dir(), "j.lock");
    acquireRunLock(path, "quiet-hours", deps({ pid: 2000 })); // never released: "SIGKILL"
    const d = deps({ pid: 3000, isAlive: () => false });
    const lock = acquireRunLock(path, "quiet-hours", d);
    expect(lock.tookOver?.pid).toBe(2000);
    expect(d.warnings.join("\n")).toMatch(/pid 2000.*no longer running; taking it over/);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(3000);
    expect(existsSync(`${path}.takeover`)).toBe(false);
  });

  it("takes over a lock written in an earlier boot of this host, even when its pid now names a live process", () => {
    const path = join(dir(), "j.lock");
    acquireRunLock(path, "quiet-hours", deps({ pid: 2000, bootId: "boot-1" })); // then: power loss
    expect(JSON.parse(readFileSync(path, "utf8")).boot_id).toBe("boot-1");
    // After the reboot pid 2000 is some other live process: the lock must not block every run from now on.
    const d = deps({ pid: 3000, isAlive: () => true, bootId: "boot-2" });
    const lock = acquireRunLock(path, "quiet-hours", d);
    expect(lock.tookOver?.pid).toBe(2000);
    expect(d.warnings.join("\n")).toMatch(/pid 2000.*started before this host last booted\); taking it over/);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ pid: 3000, boot_id: "boot-2" });
    lock.release();
    // Our own pid in a lock from an earlier boot is not "nested use": it is taken over and really held.
    acquireRunLock(path, "autostop", deps({ pid: 3000, bootId: "boot-1" }));
    const own = acquireRunLock(path, "quiet-hours", deps({ pid: 3000, bootId: "boot-2" }));
    expect(own.tookOver?.pid).toBe(3000);
    expect(JSON.parse(readFileSync(path, "utf8")).command).toBe("quiet-hours");
    // A live lock of this boot still blocks, and so does one without a boot id (written by an older version).
    expect(() => acquireRunLock(path, "prune", deps({ pid: 4000, isAlive: () => true, bootId: "boot-2" }))).toThrow(RunLockedError);
    own.release();
    acquireRunLock(path, "prune", deps({ pid: 2000 }));
    expect(() => acquireRunLock(path, "prune", deps({ pid: 4000, isAlive: () => true, bootId: "boot-2" }))).toThrow(RunLockedError);
  });

  it("never takes over another host's lock (its pid means nothing here)", () => {
    const path = join(dir(), "j.lock");
    acquireRunLock(path, "quiet-hours", deps({ hostname: "host-b", pid: 2000 }));
    expect(() => acquireRunLock(path, "quiet-hours", deps({ pid: 3000, isAlive: () => false }))).toThrow(RunLockedError);
  });

  it("treats a fresh empty lock as held and an old empty one as stale", () => {
    const path = join(dir(), "j.lock");
    writeFileSync(path, "");
    expect(() => acquireRunLock(path, "quiet-hours", deps())).toThrow(/lock file is unreadable/);
    const old = new Date("2026-01-05T19:00:00Z");
    utimesSync(path, old, old);
    const d = deps();
    const lock = acquireRunLock(path, "quiet-hours", d);
    expect(lock.owner.pid).toBe(1000);
    expect(d.warnings[0]).toMatch(/unreadable and older than a minute/);
  });

  it("does not remove a lock that another run has since taken", () => {
    const path = join(dir(), "j.lock");
    const first = acquireRunLock(path, "quiet-hours", deps({ pid: 2000 }));
    // A second run took it over (simulated by rewriting the file).
    writeFileSync(path, JSON.stringify({ pid: 3000, hostname: "host-a", command: "prune", started_at: "x" }));
    first.release();
    expect(existsSync(path)).toBe(true);
  });

  it("withRunLock releases the lock when the body throws", async () => {
    const path = join(dir(), "j.lock");
    await expect(
      withRunLock(path, "rollback", deps(), async () => {
        expect(existsSync(path)).toBe(true);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(path)).toBe(false);
  });

  it("is re-entrant within one process: the inner handle does not release the outer lock", () => {
    const path = join(dir(), "j.lock");
    const outer = acquireRunLock(path, "rollback", deps());
    const inner = acquireRunLock(path, "rollback", deps());
    inner.release();
    expect(existsSync(path)).toBe(true);
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  it("the lock is per deployment (normalised URL) under the state directory; pidAlive knows this process", () => {
    const a = deploymentLockPath("/var/lib/coder-agents", "https://coder.example.com");
    expect(a).toMatch(/^\/var\/lib\/coder-agents\/locks\/[0-9a-f]{24}\.lock$/);
    expect(deploymentLockPath("/var/lib/coder-agents", "HTTPS://Coder.Example.com:443/")).toBe(a);
    expect(deploymentLockPath("/var/lib/coder-agents", "https://coder.example.com/")).toBe(a);
    expect(deploymentLockPath("/var/lib/coder-agents", "https://other.example.com")).not.toBe(a);
    expect(deploymentLockPath("/var/lib/coder-agents", "https://coder.example.com:8443")).not.toBe(a);
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(-1)).toBe(false);
  });
});
