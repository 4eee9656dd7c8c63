import type { Command } from "commander";
import type { RunFn } from "../program.js";

// Registration of `prune` (SPEC §7). Implemented by its own issue; until then it is not listed.
export function registerPrune(_program: Command, _run: RunFn): void {}
