// `npm run test:clock`: proves the suite does not depend on the machine's clock or time zone.
//
// Runs the whole vitest suite (through scripts/test.mjs) under libfaketime at instants chosen to
// break clock-dependent tests, each with its own TZ:
//   - a London weekday noon in summer time (Europe/London ≠ UTC);
//   - the US spring-forward Sunday, 03:30 New York time (the 02:00–03:00 wall-clock gap has
//     just been skipped);
//   - 30 seconds before a new year in UTC, in Pacific/Chatham (UTC+13:45, a quarter-hour offset
//     with its own DST rules; the local date there is already 1 January).
// The machine's clock is shifted by an offset computed at launch (FAKETIME="+Ns"), so every
// process the suite spawns (the CLI, simulators) sees the same fake instant, moving at real speed.
//
// Needs Debian's `faketime` (`apt-get install faketime`; `.ci/run` installs it when missing).
// Options: --only NAME runs one of the instants (london-noon, us-spring-forward, new-year-chatham);
// any other argument is passed to vitest (e.g. a test file).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export const INSTANTS = [
  { name: "london-noon", at: "2026-07-15T11:00:00Z", tz: "Europe/London" }, // Wed 12:00 BST
  { name: "us-spring-forward", at: "2026-03-08T07:30:00Z", tz: "America/New_York" }, // Sun 03:30 EDT
  { name: "new-year-chatham", at: "2026-12-31T23:59:30Z", tz: "Pacific/Chatham" }, // Fri 13:44:30 local, 1 Jan 2027
];

const args = process.argv.slice(2);
let only = null;
const passThrough = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--only") only = args[++i];
  else passThrough.push(args[i]);
}

const which = spawnSync("sh", ["-c", "command -v faketime"], { encoding: "utf8" });
if (which.status !== 0) {
  console.error("test:clock needs libfaketime's `faketime` command: apt-get install faketime");
  process.exit(2);
}

const ensure = spawnSync(process.execPath, [`${root}scripts/ensure-built.mjs`], { cwd: root, stdio: "inherit" });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const selected = INSTANTS.filter((i) => !only || i.name === only);
if (selected.length === 0) {
  console.error(`unknown instant ${only}; one of: ${INSTANTS.map((i) => i.name).join(", ")}`);
  process.exit(2);
}

const results = [];
for (const inst of selected) {
  const offset = Math.round((Date.parse(inst.at) - Date.now()) / 1000);
  const spec = `${offset >= 0 ? "+" : ""}${offset}s`;
  console.log(`\n=== test:clock ${inst.name}: ${inst.at} (TZ=${inst.tz}, FAKETIME=${spec}) ===`);
  const r = spawnSync("faketime", ["-f", spec, process.execPath, `${root}scripts/test.mjs`, ...passThrough], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, TZ: inst.tz },
  });
  results.push({ ...inst, status: r.status ?? 1 });
}

console.log("\ntest:clock summary:");
for (const r of results) console.log(`  ${r.status === 0 ? "ok  " : "FAIL"} ${r.name} (${r.at}, TZ=${r.tz})`);
const failed = results.filter((r) => r.status !== 0).length;
console.log(`test:clock: ${results.length - failed} of ${results.length} instants green`);
process.exit(failed ? 1 : 0);
