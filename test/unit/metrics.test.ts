import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiCounts } from "../../src/metrics/api-counts.js";
import { RunMetrics, parseOwnSamples, writeFileAtomic, writeRunMetrics } from "../../src/metrics/run-metrics.js";
import { allowedHosts } from "../../src/serve/server.js";
import { isLoopback, parseListen } from "../../src/commands/serve.js";
import { scratchDir } from "../support/cli.js";
import { checkExposition, sampleValue } from "../support/prom-text.js";

const run = (exitCode: number, endedAtSeconds: number) => ({ command: "prune", mode: "execute", data: { summary: { planned: 3, succeeded: 2, skipped: 1, failed: 0 }, results: [] }, exitCode, durationSeconds: 1.5, endedAtSeconds });

describe("run metrics", () => {
  it("reads back its own samples, label escapes included", async () => {
    const m = new RunMetrics();
    m.observeResult("quiet-hours", "report", { counts: { excluded: 2 } });
    const api = new ApiCounts();
    api.request("GET", "200");
    api.request("GET", "200");
    m.observeApi(api);
    m.observeRun('we"ird\\name', 0, 2, 1_767_640_000);
    const text = await m.text();
    checkExposition(text);
    const samples = parseOwnSamples(text);
    expect(samples).toContainEqual({ name: "coder_agents_api_requests_total", labels: { method: "GET", status: "200" }, value: 2 });
    expect(samples).toContainEqual({ name: "coder_agents_runs_total", labels: { command: 'we"ird\\name', result: "success" }, value: 1 });
  });

  it("accumulates counters across files and keeps the last success on failure", async () => {
    const dir = scratchDir();
    const file = join(dir, "m.prom");
    await writeRunMetrics(file, run(0, 1000), undefined);
    await writeRunMetrics(file, run(5, 2000), undefined);
    const fams = checkExposition(readFileSync(file, "utf8"));
    expect(sampleValue(fams, "coder_agents_stops_total", { command: "prune", mode: "execute", outcome: "planned" })).toBe(6);
    expect(sampleValue(fams, "coder_agents_runs_total", { command: "prune", result: "success" })).toBe(1);
    expect(sampleValue(fams, "coder_agents_runs_total", { command: "prune", result: "failure" })).toBe(1);
    expect(sampleValue(fams, "coder_agents_last_success_timestamp_seconds", { command: "prune" })).toBe(1000);
    expect(sampleValue(fams, "coder_agents_last_run_timestamp_seconds", { command: "prune" })).toBe(2000);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["m.prom"]); // no temp file left behind
  });

  it("ignores a previous file that is not its own format", async () => {
    const file = join(scratchDir(), "m.prom");
    writeFileSync(file, "garbage\ncoder_agents_runs_total{command=\"prune\",result=\"success\"} NaNx\n");
    await writeRunMetrics(file, run(0, 1), undefined);
    expect(sampleValue(checkExposition(readFileSync(file, "utf8")), "coder_agents_runs_total", { command: "prune", result: "success" })).toBe(1);
  });

  it("writeFileAtomic names the path when it cannot write, leaving no temp file", () => {
    const dir = scratchDir();
    expect(() => writeFileAtomic(dir, "x")).toThrow(`metrics file ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the exposition checker (stands in for promtool)", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n";
  it("accepts a well-formed family and rejects each kind of mistake", () => {
    expect(checkExposition(ok)[0]!.samples).toEqual([{ name: "a_total", labels: { x: "1" }, value: 2 }]);
    expect(() => checkExposition(ok.trimEnd())).toThrow("newline");
    expect(() => checkExposition(ok + 'a_total{x="1"} 3\n')).toThrow("duplicate series");
    expect(() => checkExposition(ok.replace("2\n", "-1\n"))).toThrow("counter");
    expect(() => checkExposition(ok.replace(/a_total/g, "a"))).toThrow("_total");
    expect(() => checkExposition(ok.replace('x="1"', 'x="\\q"'))).toThrow("escape");
    expect(() => checkExposition(ok.replace("2\n", "two\n"))).toThrow("bad value");
    expect(() => checkExposition("# TYPE b gauge\nb 1\n")).toThrow("HELP");
    expect(() => checkExposition("# HELP b_hours B.\n# TYPE b_hours gauge\nb_hours 1\n")).toThrow("non-base unit");
    expect(() => checkExposition(ok + "# HELP c C.\n# TYPE c gauge\nc 1\na_total 1\n")).toThrow("not contiguous");
    expect(() => checkExposition("# HELP d D.\nd 1\n# TYPE d gauge\n")).toThrow("after its samples");
  });
});

describe("serve address checks", () => {
  it("parses --listen and knows loopback addresses", () => {
    expect(parseListen("127.0.0.1:8787")).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(() => parseListen("8787")).toThrow("--listen");
    expect(() => parseListen("host:70000")).toThrow("--listen");
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("0.0.0.0")).toBe(false);
  });
  it("answers loopback names on a loopback address, only the exact name otherwise", () => {
    expect([...allowedHosts("127.0.0.1", 9)].sort()).toEqual(["127.0.0.1:9", "[::1]:9", "localhost:9"]);
    expect([...allowedHosts("dash.internal", 80)]).toEqual(["dash.internal:80"]);
    expect([...allowedHosts("fd00::1", 80)]).toEqual(["[fd00::1]:80"]);
  });
});
