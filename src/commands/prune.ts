/**
 * `prune`: the workspaces of owners who are now inside their own quiet-hours window,
 * with organization / group / user / template filters, and `--cleanup` to stop the running ones
 * through the shared stop engine.
 *
 * Requests (D17, D18), whatever the deployment size:
 * - one paginated workspace listing with a server-side `q` (`status:running`, `owner:<name>`);
 * - `GET /users/me` only for the default (current user) scope;
 * - one `GET /groups` (members inline, D6) only when a group filter is set;
 * - `GET /organizations` / `GET /templates` only when an org / template filter value matches no
 *   listed workspace (to tell "unknown name" from "nothing running there");
 * - `GET /users/{name}` only for user filter values that own no listed workspace;
 * - `GET /entitlements` once, then `GET /users/{owner}/quiet-hours` concurrently (bounded by
 *   `http.concurrency`) and only for owners that survive the filters;
 * - `GET /deployment/config` only when some owner's schedule is not readable.
 * No user listing is used: a workspace's owner is never dropped for missing from one (D28).
 */
import { resolve } from "node:path";
import { tableView } from "../cli/context.js";
import { visibilityWarning } from "./visibility.js";
import type { AppContext } from "../cli/context.js";
import { advancedSchedulingEnabled, type CoderClient } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import type { Group, Workspace } from "../coder/schemas.js";
import {
  anyFilter,
  configKeyOf,
  dimensionActive,
  DIMENSIONS,
  mergeFilters,
  resolveNames,
  valuesWithoutMatch,
  type Dimension,
  type KnownEntity,
  type MergedFilters,
} from "../domain/prune-filters.js";
import { planPrune, pruneCandidates, selectPruneWorkspaces, validateDuration, type OwnerPlan, type PrunePlan } from "../domain/prune.js";
import { IMPLICIT_POLICY_NAME } from "../domain/policy/from-config.js";
import type { PolicyResolution } from "../domain/policy/resolve.js";
import { loadPolicies, type LoadedPolicies } from "./policy-inputs.js";
import { policyForbidsStop } from "../domain/policy-decide.js";
import {
  formatHours,
  formatPeriod,
  ownerScheduleFallback,
  quietStartFromResponse,
  type QuietStart,
} from "../domain/user-quiet-hours.js";
import { CoderApiError, UsageError, type Outcome } from "../errors.js";
import type { PruneOptions } from "../cli/register/prune.js";
import { lifecycleFields, lifecycleScope, type LifecycleGuard } from "../domain/lifecycle.js";
import type { CommandResult, Mode } from "../output/envelope.js";
import { workspaceEntry } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { formatInstant, isoUtc } from "../output/format.js";
import { renderTable } from "../output/table.js";
import { moreLine } from "../output/table-fit.js";
import { loadSnapshot } from "../exec/snapshot.js";
import { listSearched } from "./search.js";
import type { Plan, StopCandidate } from "../domain/plan.js";
import { actingOutcome, journalJson, planAndApply, type AppliedRun } from "../exec/executor.js";
import { planFileLines } from "../output/plan-lines.js";

/** This command's result, typed by its published schema. */
type CmdResult = CommandResult<DataOf<"prune">>;
export type { PruneOptions };

type Scope = { kind: "me" | "user" | "all"; user: string | null };

const RULE = "=".repeat(80);
const SUB = "-".repeat(60);

/** Lists at most `max` names for an error message. */
function listNames(names: string[], max = 40): string {
  const uniq = [...new Set(names)].sort((a, b) => a.localeCompare(b));
  if (uniq.length === 0) return "(none visible to this token)";
  return uniq.length <= max ? uniq.join(", ") : `${uniq.slice(0, max).join(", ")} … and ${uniq.length - max} more`;
}

function unknownError(dim: Dimension, unknown: string[], f: MergedFilters, cliValues: Set<string>, known: string[]): UsageError {
  const where = unknown
    .map((v) => {
      const fromCli = cliValues.has(v);
      const inInclude = f.include[dim].includes(v);
      const flag = `--${inInclude ? "include" : "exclude"}-${dim === "organizations" ? "org" : dim.slice(0, -1)}`;
      return `"${v}" (${fromCli ? flag : configKeyOf(dim, inInclude ? "include" : "exclude")})`;
    })
    .join(", ");
  const noun = dim === "organizations" ? "organization" : dim.slice(0, -1);
  return new UsageError(`unknown ${noun} ${where}; known ${dim}: ${listNames(known)}`);
}

/** The `prune` command. */
export async function pruneCommand(ctx: AppContext, opts: PruneOptions): Promise<CmdResult> {
  const cfg = ctx.config.prune_workspaces;
  if (opts.user && opts.all) throw new UsageError("--user and --all cannot be combined: --all already covers every owner");
  const duration = validateDuration(
    opts.duration ?? cfg.default_quiet_hours_duration,
    opts.duration !== undefined ? "--duration" : "prune_workspaces.default_quiet_hours_duration",
  );
  const dryRun = !!opts.dryRun || ctx.config.dry_run;
  if (opts.cleanup && !cfg.enabled && !dryRun) {
    throw new UsageError(
      `prune_workspaces.enabled is false in ${ctx.configPath ?? "the configuration"}: --cleanup refused (listing and --cleanup --dry-run still work; set it to true to allow stops)`,
    );
  }
  const filters = mergeFilters(cfg, { include: opts.include ?? {}, exclude: opts.exclude ?? {} });
  const cliValues = new Set([...Object.values(opts.include ?? {}).flat(), ...Object.values(opts.exclude ?? {}).flat()]);
  const client = ctx.client();
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.logger.warn(m);
  };

  // Scope and the one workspace listing.
  let scope: Scope;
  if (opts.all) scope = { kind: "all", user: null };
  else if (opts.user) scope = { kind: "user", user: opts.user };
  else scope = { kind: "me", user: (await client.me()).username };
  const q = [opts.includeStopped ? "" : "status:running", scope.user ? `owner:${scope.user}` : ""].filter(Boolean).join(" ");
  const progress = ctx.progress("listing workspaces");
  const [snapshot, entitlements, groups] = await Promise.all([
    loadSnapshot(ctx, { query: q }, { list: (query) => listSearched(ctx, client, query, (d, t) => progress.update(d, t)) })
      .catch((err: unknown) => {
        // Coder rejects a search query it cannot parse (e.g. a --user with ":" or spaces): the name is the problem.
        if (scope.kind === "user" && err instanceof CoderApiError && err.status === 400) {
          throw new UsageError(`--user ${scope.user}: not a valid Coder username (${err.message})`);
        }
        throw err;
      })
      .finally(() => progress.done()),
    client.entitlements(),
    dimensionActive(filters, "groups") ? listGroupsOrExplain(client) : Promise.resolve([] as Group[]),
  ]);
  const workspaces = [...snapshot.workspaces];
  if (scope.kind === "user" && workspaces.length === 0) await assertUserExists(client, scope.user!);
  if (scope.kind !== "me") {
    const blind = await visibilityWarning(client, scope.kind === "all" ? { kind: "all" } : { kind: "user", user: scope.user! }, workspaces);
    if (blind) warn(blind);
  }

  // Resolve filter names (unknown → exit 2 with the known names).
  const groupMembers = await resolveFilterNames(ctx, client, filters, cliValues, workspaces, groups, warn);

  // Coder's own lifecycle first (dormant, prebuilt, task workspaces are Coder's), then the filters.
  const lifeScope = lifecycleScope(ctx.config.lifecycle, opts);
  const { survivors, guarded, dropped } = selectPruneWorkspaces(workspaces, lifeScope, { merged: filters, groupMembers });
  if (dropped.size) ctx.logger.debug({ dropped: Object.fromEntries(dropped) }, "workspaces dropped by filters");

  // Each surviving owner's quiet-hours start.
  const fetchedStarts = new Map<string, QuietStart>();
  const starts = await ownerStarts(ctx, client, survivors, advancedSchedulingEnabled(entitlements), entitlements === null, warn, fetchedStarts);
  // Policies: an owner_quiet_hours policy's duration_hours sets its owners' window (unless --duration
  // is given); --cleanup stops only workspaces whose policy's action is stop.
  const policies = await loadPolicies(ctx, client, survivors, {
    knownStarts: fetchedStarts,
    ...(dimensionActive(filters, "groups") ? { groups: async () => groups } : {}),
  });
  const durations = opts.duration === undefined ? ownerPolicyDurations(survivors, policies.decisions) : new Map<string, number>();
  const plan = planPrune(survivors, starts, ctx.now, duration, (ownerId) => durations.get(ownerId));

  // Cleanup.
  let cleanup: CleanupOutcome | null = null;
  if (opts.cleanup) {
    cleanup = await runCleanup(ctx, plan, { dryRun, policies, warn, maxStops: opts.maxStops, planOut: opts.planOut });
  }
  const mode: Mode = opts.cleanup ? (dryRun ? "dry-run" : "execute") : "report";
  const outcome: Outcome = cleanup ? actingOutcome(cleanup.run, cleanup.run.notifications) : "ok";

  const data = buildData(ctx, { scope, duration, filters, plan, warnings, includeStopped: !!opts.includeStopped, workspacesListed: workspaces.length, cleanup, dryRun, guarded, decisions: policies.decisions });
  const human = () => renderHuman(ctx, { scope, duration, filters, plan, warnings, includeStopped: !!opts.includeStopped, workspacesListed: workspaces.length, survivors: survivors.length, cleanup, dryRun, guarded });
  return { command: "prune", mode, data, human, outcome, zone: cfg.timezone };
}

async function listGroupsOrExplain(client: CoderClient): Promise<Group[]> {
  try {
    return await client.listGroups();
  } catch (err) {
    if (err instanceof CoderApiError && err.status === 403) {
      throw new CoderApiError(403, err.method, err.path, `${err.apiMessage} — group filters need the groups listing (an Enterprise feature, readable by owners and user admins)`);
    }
    throw err;
  }
}

async function assertUserExists(client: CoderClient, name: string): Promise<void> {
  try {
    await client.getUser(name);
  } catch (err) {
    if (err instanceof CoderApiError && err.status === 404) throw new UsageError(`--user ${name}: no such user`);
    throw err;
  }
}

/** Validates every org/group/template/user filter value; returns group value → member ids. */
async function resolveFilterNames(
  ctx: AppContext,
  client: CoderClient,
  filters: MergedFilters,
  cliValues: Set<string>,
  workspaces: Workspace[],
  groups: Group[],
  warn: (m: string) => void,
): Promise<Map<string, Set<string>>> {
  const groupMembers = new Map<string, Set<string>>();
  if (dimensionActive(filters, "groups")) {
    const known: KnownEntity[] = groups.map((g) => ({
      id: g.id,
      names: [g.name, g.display_name, `${g.organization_name}/${g.name}`].filter((n) => n !== "" && n !== "/"),
    }));
    const values = [...filters.include.groups, ...filters.exclude.groups];
    const r = resolveNames(values, known);
    if (r.unknown.length) throw unknownError("groups", r.unknown, filters, cliValues, groups.map((g) => (g.organization_name ? `${g.organization_name}/${g.name}` : g.name)));
    const byId = new Map(groups.map((g) => [g.id, g]));
    for (const [value, ids] of r.ids) {
      const members = new Set<string>();
      for (const id of ids) for (const m of byId.get(id)?.members ?? []) members.add(m.id);
      groupMembers.set(value, members);
    }
  }
  const pending: Promise<void>[] = [];
  const orgValues = valuesWithoutMatch("organizations", filters, workspaces);
  if (orgValues.length) {
    pending.push(
      client.listOrganizations().then((orgs) => {
        const r = resolveNames(orgValues, orgs.map((o) => ({ id: o.id, names: [o.name, o.display_name].filter(Boolean) })));
        if (r.unknown.length) throw unknownError("organizations", r.unknown, filters, cliValues, orgs.map((o) => o.name));
      }),
    );
  }
  const tplValues = valuesWithoutMatch("templates", filters, workspaces);
  if (tplValues.length) {
    pending.push(
      client.listTemplates().then((tpls) => {
        const r = resolveNames(tplValues, tpls.map((t) => ({ id: t.id, names: [t.name, t.display_name].filter(Boolean) })));
        if (r.unknown.length) throw unknownError("templates", r.unknown, filters, cliValues, tpls.map((t) => t.name));
      }),
    );
  }
  const userValues = valuesWithoutMatch("users", filters, workspaces);
  if (userValues.length) {
    pending.push(
      mapLimit(userValues, ctx.config.http.concurrency, async (name) => {
        try {
          await client.getUser(name);
          return null;
        } catch (err) {
          if (err instanceof CoderApiError && err.status === 404) return name;
          if (err instanceof CoderApiError && err.status === 403) {
            ctx.logger.warn(`cannot check that user "${name}" exists (403); treating the filter value as given`);
            return null;
          }
          throw err;
        }
      }).then((results) => {
        const unknown = results.filter((n): n is string => n !== null);
        const where = (v: string) => (cliValues.has(v) ? `--${filters.include.users.includes(v) ? "include" : "exclude"}-user` : configKeyOf("users", filters.include.users.includes(v) ? "include" : "exclude"));
        // An unknown user to include would silently select nothing: a usage error.
        const inc = unknown.filter((v) => filters.include.users.includes(v));
        if (inc.length) throw new UsageError(`unknown user ${inc.map((v) => `"${v}" (${where(v)})`).join(", ")}: no such user on this deployment`);
        // An unknown user to exclude protects nobody; it is harmless unless it is a typo: warn loudly.
        for (const v of unknown) warn(`${where(v)}: no such user "${v}" (excluding nobody; check for a typo)`);
      }),
    );
  }
  // Settle all before throwing so a usage error wins over nothing in flight.
  const settled = await Promise.allSettled(pending);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return groupMembers;
}

/** Each surviving owner's quiet-hours start: their Coder schedule, else the deployment default, else the configured fallback. */
async function ownerStarts(
  ctx: AppContext,
  client: CoderClient,
  survivors: Workspace[],
  licensed: boolean,
  noEntitlementsRoute: boolean,
  warn: (m: string) => void,
  /** Filled with the starts read from each owner's own schedule, by username (policy resolution reuses them). */
  fetched: Map<string, QuietStart>,
): Promise<Map<string, QuietStart>> {
  const owners = new Map<string, string>();
  for (const ws of survivors) if (!owners.has(ws.owner_id)) owners.set(ws.owner_id, ws.owner_name);
  const starts = new Map<string, QuietStart>();
  if (owners.size === 0) return starts;

  const misses: { id: string; name: string; why: string }[] = [];
  if (!licensed) {
    warn(
      `user quiet-hours schedules are not available: ${noEntitlementsRoute ? "this server has no entitlements route (AGPL build)" : "advanced template scheduling is not licensed"}; every owner's window falls back to the deployment default or prune_workspaces.timezone midnight`,
    );
    for (const [id, name] of owners) misses.push({ id, name, why: "quiet hours not licensed" });
  } else {
    const list = [...owners];
    const progress = ctx.progress("fetching owners' quiet hours");
    let done = 0;
    const results = await mapLimit(list, ctx.config.http.concurrency, async ([id, name]) => {
      try {
        const qh = await client.getQuietHours(name);
        const qs = quietStartFromResponse(qh);
        if (qs?.note) ctx.logger.debug({ owner: name, note: qs.note }, "quiet-hours schedule note");
        return { id, name, qs, why: qs ? "" : `unusable schedule ${JSON.stringify(qh.raw_schedule)}` };
      } catch (err) {
        if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) {
          return { id, name, qs: null, why: `quiet hours not readable (${err.status} ${err.apiMessage})` };
        }
        throw err;
      } finally {
        progress.update(++done, list.length);
      }
    });
    progress.done();
    for (const r of results) {
      if (r.qs) {
        starts.set(r.id, r.qs);
        fetched.set(r.name, r.qs);
      } else misses.push({ id: r.id, name: r.name, why: r.why });
    }
    if (misses.length) warn(`${misses.length} owner(s) without a usable quiet-hours schedule (${misses.slice(0, 5).map((m) => `${m.name}: ${m.why}`).join("; ")}${misses.length > 5 ? "; …" : ""}); using the deployment default or prune_workspaces.timezone midnight`);
  }
  if (misses.length === 0) return starts;

  // Deployment default (one request), then the shared fallback rule.
  let deploymentDefault: string | null = null;
  try {
    const dc = await client.deploymentConfig();
    deploymentDefault = dc.config.user_quiet_hours_schedule?.default_schedule ?? "";
  } catch (err) {
    if (!(err instanceof CoderApiError && (err.status === 403 || err.status === 404))) throw err;
  }
  const zone = ctx.config.prune_workspaces.timezone;
  for (const m of misses) {
    starts.set(m.id, ownerScheduleFallback({ advanced: licensed, deploymentDefault, pruneZone: zone, why: m.why }));
  }
  return starts;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

interface OutputInput {
  scope: Scope;
  duration: number;
  filters: MergedFilters;
  plan: PrunePlan;
  warnings: string[];
  includeStopped: boolean;
  workspacesListed: number;
  cleanup: CleanupOutcome | null;
  dryRun: boolean;
  /** Left to Coder's own lifecycle (dormant, prebuilt, task), with the reason. */
  guarded: { ws: Workspace; guard: LifecycleGuard }[];
  /** Each workspace's policy, by workspace id. */
  decisions?: Map<string, PolicyResolution>;
}

/** Per owner, the window length of the first (by name) owner_quiet_hours policy deciding one of their workspaces. */
function ownerPolicyDurations(workspaces: readonly Workspace[], decisions: ReadonlyMap<string, PolicyResolution>): Map<string, number> {
  const out = new Map<string, { name: string; hours: number }>();
  for (const ws of workspaces) {
    const p = decisions.get(ws.id)?.policy;
    if (!p || p.calendar.kind !== "owner_quiet_hours") continue;
    const seen = out.get(ws.owner_id);
    if (!seen || p.name < seen.name) out.set(ws.owner_id, { name: p.name, hours: p.calendar.durationHours });
  }
  return new Map([...out].map(([k, v]) => [k, v.hours]));
}

function quietHoursJson(o: OwnerPlan) {
  const qs = o.quietStart;
  return {
    username: o.owner,
    start_time: qs.time,
    timezone: qs.timezone,
    user_set: qs.user_set,
    user_can_set: qs.user_can_set,
    next_activation: qs.next,
    raw_schedule: qs.raw_schedule,
    source: qs.source,
    note: qs.note,
  };
}

function buildData(ctx: AppContext, r: OutputInput): DataOf<"prune"> {
  const workspaces = r.plan.inside.flatMap((o) =>
    o.workspaces.map((ws) => workspaceEntry(ws, {
      policy: r.decisions?.get(ws.id)?.policy.name ?? IMPLICIT_POLICY_NAME,
      policy_action: r.decisions?.get(ws.id)?.policy.action ?? "stop",
      owner_name: ws.owner_name,
      owner_id: ws.owner_id,
      template_id: ws.template_id,
      template_name: ws.template_name,
      template_display_name: ws.template_display_name,
      organization_id: ws.organization_id,
      organization_name: ws.organization_name,
      created_at: ws.created_at,
      last_used_at: ws.last_used_at,
      latest_build: {
        id: ws.latest_build.id,
        build_number: ws.latest_build.build_number,
        transition: ws.latest_build.transition,
        status: ws.latest_build.status,
        created_at: ws.latest_build.created_at,
        deadline: ws.latest_build.deadline,
        max_deadline: ws.latest_build.max_deadline,
      },
      quiet_hours_info: {
        user_quiet_hours: quietHoursJson(o),
        quiet_start: isoUtc(o.window.start),
        quiet_end: isoUtc(o.window.end),
        is_in_quiet_hours: true as const,
      },
      ...lifecycleFields(ws),
    })),
  );
  return {
    timestamp: isoUtc(ctx.now),
    target_user: r.scope.kind === "all" ? null : r.scope.user,
    include_all_users: r.scope.kind === "all",
    quiet_hours_duration: r.duration,
    quiet_hours_duration_seconds: Math.round(r.duration * 3600),
    total_workspaces: workspaces.length,
    workspaces,
    scope: r.scope.kind,
    statuses: r.includeStopped ? "all" : "running",
    filters: { include: r.filters.include, exclude: r.filters.exclude },
    workspaces_listed: r.workspacesListed,
    owners_checked: r.plan.owners.length,
    owners_in_quiet_hours: r.plan.inside.length,
    owners: r.plan.owners.map((o) => ({
      owner: o.owner,
      owner_id: o.ownerId,
      quiet_hours: quietHoursJson(o),
      window_start: isoUtc(o.window.start),
      window_end: isoUtc(o.window.end),
      in_quiet_hours: o.window.inside,
      next_window_start: isoUtc(o.window.nextStart),
      workspaces: o.workspaces.length,
    })),
    warnings: r.warnings,
    lifecycle_excluded: r.guarded.map((g) => workspaceEntry(g.ws, { kind: g.guard.kind, reason: g.guard.reason, ...lifecycleFields(g.ws) })),
    ...(r.cleanup
      ? {
          cleanup_executed: !r.dryRun,
          run_id: r.cleanup.run.run_id,
          results: r.cleanup.run.results,
          summary: r.cleanup.run.summary,
          interrupted: r.cleanup.run.interrupted,
          ...journalJson(r.cleanup.run),
          notifications: r.cleanup.run.notifications,
          plan_id: r.cleanup.plan.id,
          plan_file: r.cleanup.planFile,
        }
      : {}),
  };
}

function sourceLabel(qs: QuietStart): string {
  switch (qs.source) {
    case "user":
      return "user's own schedule";
    case "default":
      return "deployment default (not set by the user)";
    case "deployment-default":
      return `deployment default — ${qs.note ?? "user schedule not available"}`;
    case "fallback":
      return `fallback — ${qs.note ?? "no schedule available"}`;
  }
}

function renderHuman(ctx: AppContext, r: OutputInput & { survivors: number }): string {
  const out: string[] = [];
  const scope = r.scope.kind === "all" ? "all owners" : r.scope.kind === "user" ? `user ${r.scope.user}` : `current user ${r.scope.user}`;
  const active = DIMENSIONS.filter((d) => r.filters.include[d].length || r.filters.exclude[d].length)
    .map((d) => [r.filters.include[d].length ? `+${d}: ${r.filters.include[d].join(",")}` : "", r.filters.exclude[d].length ? `-${d}: ${r.filters.exclude[d].join(",")}` : ""].filter(Boolean).join(" "))
    .join("; ");
  out.push(
    `Scope: ${scope} · window length ${formatHours(r.duration)} · ${r.includeStopped ? "all statuses" : "running workspaces"}${anyFilter(r.filters) ? ` · filters ${active}` : ""}`,
    `Evaluated at: ${formatInstant(isoUtc(ctx.now), ctx.config.prune_workspaces.timezone)} · ${r.workspacesListed} listed, ${r.survivors} after filters, ${r.plan.owners.length} owner(s) checked`,
  );
  for (const w of r.warnings) out.push(`⚠️  ${w}`);
  for (const g of r.guarded) out.push(`🚫 ${g.ws.owner_name}/${g.ws.name}: left alone — ${g.guard.reason}`);
  out.push("");
  if (r.plan.selected.length === 0) {
    out.push("✅ No workspaces found within quiet hours periods");
  } else {
    out.push(`🌙 WORKSPACES WITHIN QUIET HOURS PERIODS (${r.plan.selected.length})`, RULE);
    // --limit counts workspaces across the owner sections: owners are shown until it is used up.
    const limit = ctx.output.limit;
    let budget = limit ?? Infinity;
    let shownOwners = 0;
    for (const o of r.plan.inside) {
      if (budget <= 0) break;
      shownOwners++;
      const rowsLimit = limit === null ? null : budget;
      budget -= o.workspaces.length;
      const zone = o.quietStart.timezone;
      out.push(
        `👤 ${o.owner}`,
        `   Quiet Hours: ${o.quietStart.time} (${zone})`,
        `   Current Period: ${formatPeriod(o.window)} (${formatInstant(isoUtc(o.window.start), zone)} → ${formatInstant(isoUtc(o.window.end), zone)})`,
        `   Source: ${sourceLabel(o.quietStart)}`,
        SUB,
        renderTable(
          ["Workspace", "Template", "Organization", "Status", "Created"],
          o.workspaces.map((ws) => [ws.name, ws.template_display_name || ws.template_name, ws.organization_name, ws.latest_build.status, ws.created_at.slice(0, 10)]),
          { ...tableView(ctx), limit: rowsLimit },
        ),
        "",
      );
    }
    const more = moreLine(r.plan.inside.length - shownOwners);
    if (more) out.push(more.replace(" more ", " more owners "), "");
  }
  // For a single owner (or a few), say when their window is, so "nothing found" is explained.
  const outside = r.plan.owners.filter((o) => !o.window.inside);
  if (outside.length > 0 && (r.scope.kind !== "all" || outside.length <= 10)) {
    for (const o of outside) {
      const zone = o.quietStart.timezone;
      const next = o.window.nextStart;
      out.push(
        `💤 ${o.owner}: not in quiet hours (${o.quietStart.time} ${zone}, ${formatHours(r.duration)}; next window ${formatInstant(isoUtc(next), zone)} → ${formatInstant(isoUtc(next.plus({ milliseconds: o.window.end.toMillis() - o.window.start.toMillis() })), zone)}; ${o.workspaces.length} workspace(s))`,
      );
    }
  }
  if (r.cleanup) out.push(...renderCleanup(ctx, r.cleanup, r.dryRun));
  return out.join("\n");
}

function renderCleanup(ctx: AppContext, c: CleanupOutcome, dryRun: boolean): string[] {
  const out: string[] = [""];
  const n = c.candidates.length;
  if (n === 0) {
    out.push(c.listedNotRunning > 0 ? `✅ No running workspaces to cleanup (${c.listedNotRunning} listed, none running)` : "✅ No workspaces to cleanup");
    return out;
  }
  out.push(dryRun ? `🧪 [DRY RUN] Cleaning up ${n} running workspaces:` : `🛑 Cleaning up ${n} running workspaces:`);
  const byId = new Map(c.run.results.map((x) => [x.id, x]));
  const resultText = (id: string): string => {
    const res = byId.get(id);
    if (!res) return "";
    if (res.outcome === "stopped") return "✅ stop build created";
    if (res.outcome === "skipped") return `⏭️ skipped: ${res.error ?? "no longer eligible"}`;
    if (res.outcome === "failed") return `❌ failed: ${res.error ?? "unknown error"}`;
    return "🧪 would stop (dry run)";
  };
  // Failures first: on a large run they are what the operator has to read.
  const rank = (id: string) => ({ failed: 0, skipped: 1 })[byId.get(id)?.outcome as "failed" | "skipped"] ?? 2;
  const rows = [...c.candidates].sort((a, b) => rank(a.workspace.id) - rank(b.workspace.id));
  out.push(
    renderTable(
      ["Workspace", "Result", "Template", "Reason"],
      rows.map((cand) => [`${cand.workspace.owner_name}/${cand.workspace.name}`, resultText(cand.workspace.id), cand.workspace.template_display_name || cand.workspace.template_name, cand.reasons.join("; ")]),
      tableView(ctx),
    ),
  );
  const s = c.run.summary;
  out.push("");
  if (dryRun) out.push(`📊 Dry run: ${s.planned} workspace(s) would be stopped; nothing was changed`);
  else {
    out.push(`📊 Cleanup completed: ${s.succeeded}/${s.planned} workspaces stopped${s.skipped ? `, ${s.skipped} skipped` : ""}${s.failed ? `, ${s.failed} failed` : ""} (run ${c.run.run_id})`);
    if (s.failed) out.push("⚠️  Some stops failed; see the results above (exit 5).");
  }
  if (c.run.journal_error) out.push(`⚠️  Journal not written: ${c.run.journal_error} (exit 5; rollback cannot see these stops)`);
  if (c.run.interrupted) out.push(`⚠️  Interrupted by ${c.run.interrupted}: the remaining workspaces were not stopped.`);
  out.push(...planFileLines(c.planFile, c.plan, !dryRun));
  return out;
}


// ---------------------------------------------------------------------------------------------
// Cleanup through the shared stop engine
// ---------------------------------------------------------------------------------------------

export interface CleanupOutcome {
  candidates: StopCandidate[];
  /** Selected workspaces that were not running (listed with --include-stopped; never stopped). */
  listedNotRunning: number;
  run: AppliedRun;
  plan: Plan;
  planFile: string | null;
}

async function runCleanup(
  ctx: AppContext,
  plan: PrunePlan,
  opts: { dryRun: boolean; maxStops?: number | undefined; planOut?: string | undefined; policies: LoadedPolicies; warn: (m: string) => void },
): Promise<CleanupOutcome> {
  // A configured policy's working time (or a warn/report action) keeps prune's hands off too.
  const candidates = pruneCandidates(plan).filter((c) => {
    const r = opts.policies.decisions.get(c.workspace.id);
    const why = r ? policyForbidsStop(r, c.workspace, opts.policies.inputs, ctx.now) : null;
    if (why) opts.warn(`${c.workspace.owner_name}/${c.workspace.name} not stopped: ${why}`);
    return !why;
  });
  const listedNotRunning = plan.selected.length - candidates.length;
  // The executor takes the run lock (once) for a live cleanup with something to stop.
  const { run, plan: stopPlan, planFile } = await planAndApply(ctx, {
    command: "prune",
    transition: "stop",
    candidates,
    execute: !opts.dryRun,
    maxStops: opts.maxStops,
    planOut: opts.planOut === undefined ? undefined : resolve(ctx.cwd, opts.planOut),
  });
  return { candidates, listedNotRunning, run, plan: stopPlan, planFile };
}
