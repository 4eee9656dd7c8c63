import type { Command } from "commander";
import type { RunFn } from "../program.js";

// Registration of `ttl-monitor` (SPEC §7). Implemented by its own issue; until then it is not listed.
export function registerTtlMonitor(_program: Command, _run: RunFn): void {}
