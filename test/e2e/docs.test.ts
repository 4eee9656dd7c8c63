/**
 * The documentation is tested: every `coder-agents` command in a fenced block of README.md and
 * AGENTS.md runs against the demo simulator at the demo's instant, with the shipped
 * agents_config.json in the working directory.
 *
 * Markers the test understands:
 * - a ```console block holds `$ coder-agents …` lines, each followed by its output, which is
 *   compared line by line. A line that is only `…` marks the output as abridged: the shown lines
 *   must then appear in this order (the first and last shown lines anchor the start and end
 *   unless `…` stands there). Run ids and the scratch directories are normalised.
 * - in any other fenced block a line starting `coder-agents ` (or `node bin/coder-agents.js `) runs
 *   and must exit 0, or the code its comment names (`# exit 6 when …`). Output is not checked.
 * - `<!-- doc-test: skip: reason -->` on the line before a block skips the block (a reason is required).
 * - without `--now` in the example, `--now 2026-01-05T19:30:00Z` (the demo's instant) is added;
 *   `--execute`/`--cleanup` examples (not dry runs) get a fresh simulator; `--monitor` and
 *   `simulate` are stopped after their first line.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, scratchDir } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const DEMO_NOW = "2026-01-05T19:30:00Z";

export interface Example {
  file: string;
  line: number;
  command: string;
  args: string[];
  /** Expected exit code. */
  exit: number;
  /** Shown output (console blocks), or null. */
  output: string[] | null;
}

/** Splits a shell line into words: quotes group, and an unquoted |, >, <, ;, & or # ends the command. */
export function shellWords(line: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      started = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (started) words.push(cur);
      cur = "";
      started = false;
      continue;
    }
    if ("|><;&#".includes(ch)) {
      if (started) words.push(cur);
      const hash = line.indexOf("#", i);
      return { words, comment: hash >= 0 ? line.slice(hash + 1).trim() : "" };
    }
    cur += ch;
    started = true;
  }
  if (started) words.push(cur);
  return { words, comment: "" };
}

const COMMAND = /^(?:\$ )?(?:coder-agents|node bin\/coder-agents\.js) /;

export function examplesOf(file: string, text: string): Example[] {
  const lines = text.split("\n");
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const lang = open[1] ?? "";
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const body = lines.slice(start + 1, end);
    const marker = /^<!-- doc-test: skip(.*)-->$/.exec(lines[start - 1]?.trim() ?? "");
    i = end;
    if (marker) {
      if (!/:\s*\S/.test(marker[1]!)) throw new Error(`${file}:${start}: doc-test skip marker without a reason`);
      continue;
    }
    body.forEach((l, k) => {
      const cmdLine = lang === "console" ? (l.startsWith("$ ") ? l.slice(2) : null) : COMMAND.test(l) ? l : null;
      if (cmdLine === null || !/^(coder-agents|node bin\/coder-agents\.js) /.test(cmdLine)) return;
      const { words, comment } = shellWords(cmdLine.replace(/^node bin\/coder-agents\.js/, "coder-agents"));
      const exit = /\bexit (\d+)\b/.exec(comment);
      let output: string[] | null = null;
      if (lang === "console") {
        output = [];
        for (let j = k + 1; j < body.length && !body[j]!.startsWith("$ "); j++) output.push(body[j]!);
        while (output.length && output[output.length - 1]!.trim() === "") output.pop();
      }
      out.push({ file, line: start + 2 + k, command: cmdLine, args: words.slice(1), exit: exit ? Number(exit[1]) : 0, output });
    });
  }
  return out;
}

/** Compares shown output with actual output (see the module comment for `…`). */
export function matchOutput(shown: string[], actual: string[]): string | null {
  const norm = (l: string) => l.replace(/\s+$/, "");
  const want = shown.map(norm);
  const got = actual.map(norm);
  if (!want.includes("…")) {
    return want.join("\n") === got.join("\n") ? null : `output differs:\n--- shown\n${want.join("\n")}\n--- actual\n${got.join("\n")}`;
  }
  let pos = 0;
  for (let k = 0; k < want.length; k++) {
    const w = want[k]!;
    if (w === "…") continue;
    const anchored = k === 0 || want[k - 1] !== "…";
    if (anchored) {
      if (got[pos] !== w) return `line ${k + 1} of the shown output: expected "${w}", actual line ${pos + 1} is "${got[pos] ?? "(end)"}"`;
      pos++;
    } else {
      const at = got.indexOf(w, pos);
      if (at < 0) return `line ${k + 1} of the shown output not found (in order): "${w}"\n--- actual\n${got.join("\n")}`;
      pos = at + 1;
    }
  }
  if (want[want.length - 1] !== "…" && pos !== got.length) return `the output goes on after the last shown line ("${want[want.length - 1]}"); end the block with … if it is abridged`;
  return null;
}

const files = ["README.md", "AGENTS.md"];
const examples = files.flatMap((f) => examplesOf(f, readFileSync(join(ROOT, f), "utf8")));

let sim: TestSim;
beforeAll(async () => {
  sim = await startSim("demo");
});
afterAll(async () => {
  await sim?.close();
});

async function runExample(ex: Example) {
  const mutating = ex.args.some((a) => a === "--execute" || a === "--cleanup") && !ex.args.includes("--dry-run");
  const target = mutating ? await startSim("demo") : sim;
  try {
    const home = scratchDir();
    const cwd = join(home, "work");
    mkdirSync(cwd);
    copyFileSync(join(ROOT, "agents_config.json"), join(cwd, "agents_config.json"));
    const args = ex.args.includes("--now") || ex.args[0] === "simulate" || ex.args[0] === "completion" ? ex.args : [...ex.args, "--now", DEMO_NOW];
    const endless = ex.args.includes("--monitor") || ex.args[0] === "simulate";
    const r = await runCli(args, {
      cwd,
      env: { HOME: home, XDG_STATE_HOME: join(home, ".local", "state"), CODER_URL: target.url, CODER_SESSION_TOKEN: target.ownerToken },
      ...(endless ? { kill: { signal: "SIGINT" as const, whenStdoutMatches: /\n/ } } : {}),
    });
    const normal = r.stdout
      .split(cwd)
      .join(".")
      .split(home)
      .join("~")
      .replace(/\b\d{8}T\d{6}Z-[0-9a-f]{6}\b/g, "<run-id>");
    return { r, lines: normal.replace(/\n$/, "").split("\n"), endless };
  } finally {
    if (mutating) await target.close();
  }
}

describe("documentation examples run against the demo", () => {
  it("finds the examples (README and AGENTS both have some, and some show their output)", () => {
    expect(examples.filter((e) => e.file === "README.md").length).toBeGreaterThan(5);
    expect(examples.filter((e) => e.file === "AGENTS.md").length).toBeGreaterThan(2);
    expect(examples.filter((e) => e.output !== null).length).toBeGreaterThan(2);
  });

  it.each(examples.map((e) => [`${e.file}:${e.line} ${e.command}`, e] as const))("%s", async (_name, ex) => {
    const { r, lines, endless } = await runExample(ex);
    const expected = endless ? [130, ex.exit] : [ex.exit];
    expect(expected, `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`).toContain(r.code);
    if (ex.output) {
      const shown = ex.output.map((l) => l.replace(/\b\d{8}T\d{6}Z-[0-9a-f]{6}\b/g, "<run-id>"));
      const problem = matchOutput(shown, lines);
      expect(problem, `${ex.file}:${ex.line}`).toBeNull();
    }
  }, 60_000);
});

describe("the doc-test's own rules", () => {
  it("splits shell words and finds the exit code in a comment", () => {
    expect(shellWords(`coder-agents autostop --json | jq '.x'`)).toEqual({ words: ["coder-agents", "autostop", "--json"], comment: "" });
    expect(shellWords(`coder-agents ttl-monitor --all   # exit 6 when expired`)).toEqual({ words: ["coder-agents", "ttl-monitor", "--all"], comment: "exit 6 when expired" });
    expect(shellWords(`coder-agents ls --search "owner:alice template:x"`).words).toEqual(["coder-agents", "ls", "--search", "owner:alice template:x"]);
  });

  it("abridged output: shown lines in order, anchored unless … stands there", () => {
    expect(matchOutput(["a", "…", "c"], ["a", "b", "c"])).toBeNull();
    expect(matchOutput(["a", "…", "c"], ["a", "b", "c", "d"])).toMatch(/goes on after/);
    expect(matchOutput(["…", "c", "…"], ["a", "b", "c", "d"])).toBeNull();
    expect(matchOutput(["b", "…"], ["a", "b"])).toMatch(/expected "b"/);
    expect(matchOutput(["a", "b"], ["a", "c"])).toMatch(/output differs/);
  });

  it("skip markers need a reason; console blocks pair commands with their output", () => {
    const md = ["<!-- doc-test: skip: needs a real deployment -->", "```sh", "coder-agents workspaces", "```", "```console", "$ coder-agents ls --limit 1", "out", "…", "```"].join("\n");
    const ex = examplesOf("x.md", md);
    expect(ex).toHaveLength(1);
    expect(ex[0]).toMatchObject({ args: ["ls", "--limit", "1"], output: ["out", "…"], exit: 0 });
    expect(() => examplesOf("x.md", "<!-- doc-test: skip -->\n```sh\ncoder-agents x\n```")).toThrow(/without a reason/);
  });
});
