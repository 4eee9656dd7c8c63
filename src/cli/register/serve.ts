import { InvalidArgumentError, type Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { durationArg, type FlagsOf } from "../args.js";

function secondsArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--interval: expected seconds > 0, got "${v}"`);
  return n;
}

/** `serve`: every flag, declared once; the action's options type is inferred from it. */
function declareServe(program: Command) {
  return program
    .command("serve")
    .description("web dashboard: next 24 h of stops per owner, TTL compliance, last runs, savings per week, and /metrics for Prometheus")
    .option("--listen <host:port>", "address to listen on (loopback by default; port 0 picks a free one)", "127.0.0.1:8787")
    .option("--interval <seconds>", "refresh from Coder every this many seconds (at least 10)", secondsArg, 60)
    .option("--owner-schedules", "read every owner's quiet hours on each refresh (adds the prune cause; one request per owner)")
    .option("--savings-since <duration>", "savings window shown on the page and in /metrics (default 84d = 12 weeks)", durationArg("--savings-since"), 84 * 86400)
    .option("--allow-apply", "loopback only: add a button (POST /api/apply/quiet-hours) that runs quiet-hours --execute with every safety rule")
    .addHelpText(
      "after",
      `
The page never receives the session token: it reads /api/snapshot, which holds workspace data only.
Pages and scrapes are answered from memory; only the refresher talks to Coder. With --now the
dashboard evaluates every refresh at that instant (what-if).

Examples:
  coder-agents serve                                   # http://127.0.0.1:8787/
  coder-agents serve --listen 127.0.0.1:9000 --interval 120
  coder-agents serve --now 2026-01-05T19:30:00Z        # the fleet as of that instant
  curl -s http://127.0.0.1:8787/metrics`,
    );
}

export type ServeFlags = FlagsOf<ReturnType<typeof declareServe>>;

/** What `serveCommand` is given. */
export function serveOptions(opts: ServeFlags) {
  return {
    listen: opts.listen,
    intervalSeconds: opts.interval,
    allowApply: !!opts.allowApply,
    ownerSchedules: !!opts.ownerSchedules,
    savingsSinceSeconds: opts.savingsSince,
  };
}
export type ServeOptions = ReturnType<typeof serveOptions>;

export function registerServe(program: Command, run: RunFn): void {
  declareServe(program).action(async (opts, cmd) => {
      await run(cmd, async () => {
        const m = await import("../../commands/serve.js");
        return (ctx) => m.serveCommand(ctx, serveOptions(opts));
      });
    });
}
