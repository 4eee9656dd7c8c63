/** Property: whatever the config file holds, loading it yields a valid config or a ConfigError — never a crash. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { configSchema, DEFAULT_CONFIG } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";

const load = (text: string, env: Record<string, string> = {}) =>
  loadConfig({ env, cwd: "/w", readFile: (p) => (p === "/w/agents_config.json" ? text : null) });

function outcome(text: string, env: Record<string, string> = {}): "ok" | "config-error" {
  try {
    const r = load(text, env);
    // Anything accepted must satisfy the schema (no half-validated config slips through).
    expect(configSchema.safeParse(r.config).success).toBe(true);
    return "ok";
  } catch (err) {
    if (err instanceof ConfigError) {
      expect(err.exitCode).toBe(2);
      expect(err.message.length).toBeGreaterThan(10);
      return "config-error";
    }
    throw err;
  }
}

/** Arbitrary JSON values shaped loosely like the config: known section and key names, any values. */
const sections = Object.keys(DEFAULT_CONFIG);
const keys = [...new Set(Object.values(DEFAULT_CONFIG).flatMap((v) => (typeof v === "object" && v ? Object.keys(v) : [])))];
const anyValue = fc.jsonValue({ maxDepth: 3 });
const section = fc.dictionary(fc.constantFrom(...keys, "x", "start_tme"), anyValue, { maxKeys: 6 });
const configLike = fc.dictionary(fc.constantFrom(...sections, "unknown"), fc.oneof(section, anyValue), { maxKeys: 5 });

describe("config loader properties", () => {
  it("never crashes on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void outcome(text)), { numRuns: 300 });
  });

  it("never crashes on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => void outcome(JSON.stringify(v))), { numRuns: 300 });
  });

  it("never crashes on config-shaped JSON with wrong values", () => {
    fc.assert(fc.property(configLike, (v) => void outcome(JSON.stringify(v))), { numRuns: 500 });
  });

  it("never crashes on arbitrary environment overrides", () => {
    const env = fc.record(
      {
        QUIET_HOURS_START: fc.string({ maxLength: 8 }),
        QUIET_HOURS_END: fc.string({ maxLength: 8 }),
        QUIET_HOURS_TIMEZONE: fc.string({ maxLength: 20 }),
        GRACE_PERIOD_HOURS: fc.string({ maxLength: 6 }),
        DRY_RUN: fc.string({ maxLength: 6 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(env, (e) => void outcome("{}", e as Record<string, string>)), { numRuns: 300 });
  });

  it("accepts every valid window and rejects only equal start and end", () => {
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    fc.assert(
      fc.property(hhmm, hhmm, fc.double({ min: 0, max: 48, noNaN: true }), (start, end, grace) => {
        const r = outcome(JSON.stringify({ quiet_hours: { start_time: start, end_time: end, grace_period_hours: grace } }));
        expect(r).toBe(start === end ? "config-error" : "ok");
      }),
      { numRuns: 300 },
    );
  });
});
