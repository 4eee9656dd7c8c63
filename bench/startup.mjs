// Start-up time of `coder-agents --help`: spawns the built CLI repeatedly and prints the median.
// Usage: npm run bench:startup [-- --runs N]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/coder-agents.js", import.meta.url));
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 21;

export function measureStartup(n = runs) {
  spawnSync(process.execPath, [bin, "--help"]); // warm the file cache
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`--help exited ${r.status}: ${r.stderr}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], runs: n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = measureStartup();
  console.log(`coder-agents --help: median ${r.median.toFixed(1)} ms (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)}, ${r.runs} runs)`);
  if (r.median >= 150) {
    console.log("target: median under 150 ms — NOT MET");
    process.exitCode = 1;
  }
}
