/** Option-argument parsers shared by the command registrations: bad values are usage errors (exit 2). */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { parseDuration } from "../output/duration.js";

export function intArg(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag}: expected a whole number, got "${v}"`);
    return Number(v);
  };
}

export function floatArg(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag}: expected a number, got "${v}"`);
    return n;
  };
}

/** A duration ("2h", "90m", "1h30m", or hours as a number) → seconds. */
export function durationArg(flag: string) {
  return (v: string): number => {
    const s = parseDuration(v);
    if (s === null) throw new InvalidArgumentError(`${flag}: expected a duration like 2h, 90m, 1h30m, 7d, 12w or a number of hours, got "${v}"`);
    return s;
  };
}

/** Collects a repeatable option into an array. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/**
 * The options a declared command parses into, inferred from its `.option()` declarations
 * (@commander-js/extra-typings): each flag is declared once, where commander learns it.
 */
export type FlagsOf<C extends { opts(): unknown }> = ReturnType<C["opts"]>;

/** --search, declared by every command that lists workspaces (read by the runner into OutputView.search). */
export function searchOption() {
  return new Option("--search <query>", "Coder's workspace query (owner:, template:, status:, name:, organization: …; bare words match names), passed to the server");
}
