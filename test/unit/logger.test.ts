import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger, pinoLevel, RotatingFile } from "../../src/log/logger.js";
import { redact, Secrets } from "../../src/log/redact.js";

const dir = () => mkdtempSync(join(tmpdir(), "logger-test-"));

describe("RotatingFile", () => {
  it("keeps backup_count files of at most max bytes, newest in the base file", () => {
    const path = join(dir(), "agents.log");
    const f = new RotatingFile(path, 100, 2);
    for (let i = 0; i < 20; i++) f.write(`line ${String(i).padStart(2, "0")} ${"x".repeat(30)}\n`); // 39 bytes each
    f.close();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    for (const p of [path, `${path}.1`, `${path}.2`]) expect(statSync(p).size).toBeLessThanOrEqual(100);
    // Two lines per file: .2 holds 14-15, .1 holds 16-17, the base file 18-19.
    expect(readFileSync(path, "utf8")).toMatch(/^line 18.*\nline 19.*\n$/);
    expect(readFileSync(`${path}.1`, "utf8")).toMatch(/^line 16/);
    expect(readFileSync(`${path}.2`, "utf8")).toMatch(/^line 14/);
  });

  it("backup_count 0 truncates instead of keeping old files", () => {
    const path = join(dir(), "a.log");
    const f = new RotatingFile(path, 50, 0);
    for (let i = 0; i < 5; i++) f.write(`${i}${"y".repeat(29)}\n`);
    f.close();
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(readFileSync(path, "utf8")).toMatch(/^4y+\n$/);
  });

  it("continues an existing file after a restart (size counted from disk)", () => {
    const path = join(dir(), "b.log");
    const a = new RotatingFile(path, 60, 1);
    a.write("a".repeat(40) + "\n");
    a.close();
    const b = new RotatingFile(path, 60, 1);
    b.write("b".repeat(40) + "\n"); // 41 + 41 > 60: rotates first
    b.close();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("a".repeat(40) + "\n");
    expect(readFileSync(path, "utf8")).toBe("b".repeat(40) + "\n");
  });
});

describe("createLogger", () => {
  it("writes JSON lines to the file with secrets redacted, and human lines to a TTY stderr", async () => {
    const path = join(dir(), "c.log");
    const err: string[] = [];
    const { logger, close } = createLogger({
      level: "debug",
      stderr: { write: (s) => void err.push(s), isTTY: true },
      color: false,
      file: { path, maxBytes: 10_000, backupCount: 1 },
      redact: (s) => redact(s, ["sekret-token-value"]),
    });
    logger.debug({ token: "sekret-token-value" }, "using sekret-token-value");
    await new Promise((r) => setImmediate(r));
    close();
    const line = JSON.parse(readFileSync(path, "utf8").trim()) as Record<string, unknown>;
    expect(line.msg).toBe("using [REDACTED]");
    expect(line.token).toBe("[REDACTED]");
    expect(err.join("")).toMatch(/DEBUG using \[REDACTED\]/);
    expect(err.join("")).not.toContain("sekret");
  });

  it("maps the Python level names", () => {
    expect(pinoLevel("WARNING")).toBe("warn");
    expect(pinoLevel("CRITICAL")).toBe("fatal");
    expect(pinoLevel("INFO")).toBe("info");
  });
});

describe("redact", () => {
  it("replaces a secret by value, in its raw, JSON-escaped and percent-encoded forms", () => {
    expect(redact("token=abcd", ["abcd"])).toBe("token=[REDACTED]");
    expect(redact("abc", ["abc"])).toBe("abc"); // shorter than 4: never a real token, scrubbing it would garble logs
    const odd = 'tok"en\\value/+';
    expect(redact(JSON.stringify({ detail: `header ${odd}` }), [odd])).toBe('{"detail":"header [REDACTED]"}');
    expect(redact(`https://x/?t=${encodeURIComponent(odd)}`, [odd])).toBe("https://x/?t=[REDACTED]");
  });

  it("Secrets scrubs strings and keys of nested values, and secrets registered later", () => {
    const s = new Secrets();
    const rec = { error: "echo sekret-1234", nested: [{ "sekret-1234": "x" }], n: 3, ok: null };
    expect(s.redactValue(rec)).toBe(rec); // nothing registered yet
    s.add("  sekret-1234\n"); // trimmed, as a token read from a file
    s.add("abc"); // too short to be a token: ignored
    expect(s.list).toEqual(["sekret-1234"]);
    expect(s.redactValue(rec)).toEqual({ error: "echo [REDACTED]", nested: [{ "[REDACTED]": "x" }], n: 3, ok: null });
    expect(s.redact("abc sekret-1234")).toBe("abc [REDACTED]");
  });
});

describe("a log file that cannot be opened", () => {
  it("disables file logging with one message on stderr instead of failing the run", async () => {
    const path = join(dir(), "no-such-dir", "agents.log");
    const err: string[] = [];
    const { logger, close } = createLogger({
      level: "info",
      stderr: { write: (s) => void err.push(s), isTTY: false },
      color: false,
      file: { path, maxBytes: 10_000, backupCount: 1 },
      redact: (s) => s,
    });
    logger.info("still logged");
    await new Promise((r) => setImmediate(r));
    close();
    const text = err.join("");
    expect(text).toMatch(/log file .*agents\.log: ENOENT[^\n]*; file logging disabled for this run\n/);
    expect(text).toMatch(/"msg":"still logged"/);
    expect(existsSync(path)).toBe(false);
  });
});
