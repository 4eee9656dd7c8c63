import type { Command } from "commander";
import type { RunFn } from "../program.js";

// Registration of `enterprise-quiet-hours` (SPEC §7). Implemented by its own issue; until then it is not listed.
export function registerEnterprise(_program: Command, _run: RunFn): void {}
