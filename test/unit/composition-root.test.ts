/**
 * Layering rules checked on the source text:
 * - only the composition root (src/cli) builds real dependencies: the clock, fetch, the process's
 *   environment and identity, default dependency bundles (the simulator, src/sim, is its own program);
 * - only src/errors.ts names exit codes: everything else returns an Outcome or throws its errors.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The code without comments (block and line comments; a `//` inside a string such as a URL is kept). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "").replace(/([;{}(),])\s*\/\/.*$/gm, "$1");
}

const outsideRoot = sourceFiles(SRC)
  .map((p) => relative(ROOT, p).split("\\").join("/"))
  .filter((p) => !p.startsWith("src/cli/") && !p.startsWith("src/sim/"));

const REAL_DEPS: Array<[string, RegExp]> = [
  ["the wall clock (Date.now)", /\bDate\.now\(/],
  ["the wall clock (new Date())", /\bnew Date\(\s*\)/],
  ["the wall clock (luxon's now)", /\bDateTime\.(?:utc|now|local)\(\s*\)/],
  ["a monotonic clock (performance.now)", /\bperformance\.now\(/],
  ["the global fetch", /\bglobalThis\.fetch\b|(?<![.\w$])fetch\(/],
  ["the process (env, argv, pid, signals, streams, exit)", /\bprocess\.(?:env|argv|exit|exitCode|kill|pid|cwd|stdout|stderr|stdin|on|once)\b/],
  ["a default dependency bundle", /\bdefault(?:Notify|Lock)Deps\b/],
];

/** The dashboard page's script runs in the browser, where fetch is the page's own. */
const BROWSER_SCRIPT = "src/serve/page.ts";

describe("only the composition root builds real dependencies", () => {
  it("no file outside src/cli and src/sim reads the clock, fetch, the process or builds default deps", () => {
    expect(outsideRoot.length).toBeGreaterThan(40);
    const found: string[] = [];
    for (const file of outsideRoot) {
      const lines = code(readFileSync(join(ROOT, file), "utf8")).split("\n");
      lines.forEach((line, i) => {
        for (const [what, re] of REAL_DEPS) {
          if (file === BROWSER_SCRIPT && what === "the global fetch") continue;
          if (re.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });

  it("the scan finds each construction it looks for (so a pass means something)", () => {
    const samples = ["const t = Date.now();", "x = new Date();", "DateTime.utc()", "performance.now()", "await fetch(url)", "globalThis.fetch", "process.env.HOME", "defaultLockDeps(w)"];
    for (const s of samples) expect(REAL_DEPS.some(([, re]) => re.test(code(s))), s).toBe(true);
    for (const s of ["deps.fetch(url)", "this.o.fetch(u, i)", "new Date(ms)", "DateTime.utc(2026, 1, 5)", "// Date.now() in a comment", "ctx.clock()"]) {
      expect(REAL_DEPS.some(([, re]) => re.test(code(s))), s).toBe(false);
    }
  });
});

describe("exit codes live in src/errors.ts", () => {
  const EXIT = [/\bExitCode\b/, /\bexitCode\s*[:=]\s*\d/, /\bprocess\.exit(?:Code)?\b/];
  it("no file outside src/errors.ts and the composition root names an exit code", () => {
    const found: string[] = [];
    for (const file of outsideRoot) {
      if (file === "src/errors.ts") continue;
      const lines = code(readFileSync(join(ROOT, file), "utf8")).split("\n");
      lines.forEach((line, i) => {
        if (EXIT.some((re) => re.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
