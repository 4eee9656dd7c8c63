// Installs dependencies when missing or stale, then builds dist/ when any source is newer.
// Used by `npm test`, `npm run demo` and `npm run bench` so a fresh clone needs no manual step.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const lock = join(root, "package-lock.json");
const installed = join(root, "node_modules", ".package-lock.json");
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  run("npm ci --no-audit --no-fund");
}
const built = join(root, "dist", "cli", "main.js");
const srcTime = Math.max(newest(join(root, "src")), statSync(join(root, "tsconfig.build.json")).mtimeMs, statSync(join(root, "tsconfig.json")).mtimeMs);
if (!existsSync(built) || newest(join(root, "dist")) < srcTime) {
  run("npx tsc -p tsconfig.build.json");
}
