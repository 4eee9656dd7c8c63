/**
 * `enterprise-quiet-hours`: the deployment's quiet-hours policy, licensing, templates
 * with an autostop requirement, and a user's (or every user's) quiet-hours schedule.
 *
 * Failure policy: a missing permission or licence is a *finding*, shown as such in its section
 * ("not available: requires the owner role", "not licensed: …"), never as "Not set". Fatal (thrown):
 * 401, Coder unreachable / 5xx after retries, an unknown `--user` (exit 2), an API shape we do not
 * understand. Exit 4 (with the report still printed) when the one thing asked for is forbidden:
 * `--user NAME` whose schedule the token may not read, or `--all-users` when no other user's
 * schedule is readable. An unlicensed deployment is a complete, correct answer: exit 0.
 *
 * `--json` carries only the relevant configuration (`user_quiet_hours_schedule`), never the whole
 * deployment config (D35).
 */
import { tableView } from "../cli/context.js";
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import { advancedSchedulingEnabled } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import type { DeploymentConfig, Entitlements, QuietHours, Template, User } from "../coder/schemas.js";
import { parseQuietHours } from "../domain/cron.js";
import { CoderApiError, UsageError, type Outcome } from "../errors.js";
import type { CommandResult } from "../output/envelope.js";
import { formatDuration, formatInstant, isoUtc } from "../output/format.js";
import { renderTable } from "../output/table.js";
import type { EnterpriseQuietHoursOptions } from "../cli/register/enterprise-quiet-hours.js";
import type { DataOf } from "../output/schema.js";

/** This command's result: its data must match its published JSON schema. */
type CmdResult = CommandResult<DataOf<"enterprise-quiet-hours">>;
export type { EnterpriseQuietHoursOptions };

/** Why a section could not be shown. */
export type SectionStatus = "ok" | "forbidden" | "not_licensed" | "not_found";

export interface SectionState {
  status: SectionStatus;
  /** Human explanation when status is not "ok". */
  message: string | null;
}

export const NOT_LICENSED_MESSAGE = "not licensed: advanced template scheduling is an Enterprise feature";
export const OWNER_ROLE_MESSAGE = "not available: requires the owner role";

/** One user's schedule as reported (JSON `user` / `users[]`). */
export interface UserScheduleEntry extends SectionState {
  username: string;
  raw_schedule: string | null;
  time: string | null;
  timezone: string | null;
  user_set: boolean | null;
  user_can_set: boolean | null;
  /** The next start after the evaluated instant (computed from raw_schedule; the API's `next` otherwise). */
  next: string | null;
  seconds_until_next: number | null;
  /** The API's own `next` (computed by Coder at request time). */
  api_next: string | null;
}

type Probe<T> = { ok: true; value: T } | { ok: false; status: number; apiMessage: string };

/** Runs a read; 403/404 become a value the renderer shows, anything else propagates. */
async function probe<T>(fn: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) {
      return { ok: false, status: err.status, apiMessage: err.apiMessage };
    }
    throw err;
  }
}

const isLicenceMessage = (m: string) => /enterprise feature|not enabled|contact sales|not entitled/i.test(m);

function quietHoursFailure(p: { status: number; apiMessage: string }, self: boolean, licensed: boolean | null): SectionState {
  if (p.status === 403 && isLicenceMessage(p.apiMessage)) return { status: "not_licensed", message: NOT_LICENSED_MESSAGE };
  if (p.status === 404 && licensed === false) return { status: "not_licensed", message: `${NOT_LICENSED_MESSAGE} (no quiet-hours route on this server)` };
  if (!self) {
    return { status: "forbidden", message: `not available: reading another user's quiet hours requires the owner or user-admin role (${p.status} ${p.apiMessage})` };
  }
  return p.status === 404
    ? { status: "not_found", message: `not available: ${p.apiMessage || "no quiet-hours schedule"} (404)` }
    : { status: "forbidden", message: `not available: ${p.apiMessage} (403)` };
}

/** Builds a schedule entry from a quiet-hours response, with `next` computed at the evaluated instant. */
export function scheduleEntry(username: string, qh: QuietHours, now: DateTime): UserScheduleEntry {
  let next: string | null = qh.next ?? null;
  try {
    next = isoUtc(parseQuietHours(qh.raw_schedule).next(now));
  } catch {
    // keep the API's next
  }
  const until = next ? Math.trunc((Date.parse(next) - now.toMillis()) / 1000) : null;
  return {
    username,
    status: "ok",
    message: null,
    raw_schedule: qh.raw_schedule,
    time: qh.time ?? null,
    timezone: qh.timezone ?? null,
    user_set: qh.user_set,
    user_can_set: qh.user_can_set ?? null,
    next,
    seconds_until_next: until,
    api_next: qh.next ?? null,
  };
}

function failedEntry(username: string, state: SectionState): UserScheduleEntry {
  return {
    username,
    ...state,
    raw_schedule: null,
    time: null,
    timezone: null,
    user_set: null,
    user_can_set: null,
    next: null,
    seconds_until_next: null,
    api_next: null,
  };
}

function describeSchedule(raw: string): string | null {
  try {
    return parseQuietHours(raw).describe();
  } catch {
    return null;
  }
}

/** The `enterprise-quiet-hours` report. Also used by `quiet-hours --enterprise`. */
export async function enterpriseQuietHoursCommand(ctx: AppContext, opts: EnterpriseQuietHoursOptions): Promise<CmdResult> {
  const client = ctx.client();
  const me = await client.me();
  let target: User = me;
  if (opts.user && opts.user !== me.username && opts.user !== "me") {
    const u = await probe(() => client.getUser(opts.user!));
    if (!u.ok) {
      if (u.status === 404) throw new UsageError(`--user ${opts.user}: no such user`);
      throw new CoderApiError(u.status, "GET", `/api/v2/users/${opts.user}`, u.apiMessage);
    }
    target = u.value;
  }
  const self = target.id === me.id;

  const [cfg, ent, templates] = await Promise.all([
    probe(() => client.deploymentConfig()),
    probe(() => client.entitlements()),
    probe(() => client.listTemplates()),
  ]);

  // Licensing
  const entitlements: Entitlements | null = ent.ok ? ent.value : null;
  const licensed: boolean | null = ent.ok ? advancedSchedulingEnabled(ent.value) : null;
  const ats = entitlements?.features["advanced_template_scheduling"] ?? null;
  const licensing = {
    ...(ent.ok ? { status: "ok" as SectionStatus, message: null } : { status: "forbidden" as SectionStatus, message: `not available: ${ent.apiMessage} (${ent.status})` }),
    has_license: ent.ok ? (entitlements?.has_license ?? false) : null,
    advanced_template_scheduling: ats ? { entitlement: ats.entitlement, enabled: ats.enabled } : null,
    usable: licensed,
    note: ent.ok && entitlements === null ? "the server has no /api/v2/entitlements route (AGPL build): not licensed" : null,
  };

  // Deployment policy
  const policy = policySection(cfg);

  // Templates with an autostop requirement
  const tplSection = templatesSection(templates);

  // The user's schedule (or everyone's)
  let user: UserScheduleEntry;
  if (licensed === false) {
    user = failedEntry(target.username, { status: "not_licensed", message: NOT_LICENSED_MESSAGE });
  } else {
    const qh = await probe(() => client.getQuietHours(self ? "me" : target.username));
    user = qh.ok ? scheduleEntry(target.username, qh.value, ctx.now) : failedEntry(target.username, quietHoursFailure(qh, self, licensed));
  }

  let users: UserScheduleEntry[] | null = null;
  let outcome: Outcome = "ok";
  let fatalNote: string | null = null;
  if (!self && user.status === "forbidden") {
    outcome = "forbidden";
    fatalNote = `cannot read ${target.username}'s quiet hours with this token`;
  }
  if (opts.allUsers) {
    const list = await client.listUsers();
    if (licensed === false) {
      users = list.map((u) => failedEntry(u.username, { status: "not_licensed", message: NOT_LICENSED_MESSAGE }));
    } else {
      const progress = ctx.progress("fetching quiet hours");
      let done = 0;
      users = await mapLimit(list, ctx.config.http.concurrency, async (u) => {
        const isSelf = u.id === me.id;
        const r = await probe(() => client.getQuietHours(isSelf ? "me" : u.username));
        progress.update(++done, list.length);
        return r.ok ? scheduleEntry(u.username, r.value, ctx.now) : failedEntry(u.username, quietHoursFailure(r, isSelf, licensed));
      });
      progress.done();
      const others = users.filter((_, i) => list[i]!.id !== me.id);
      if (others.length > 0 && others.every((e) => e.status === "forbidden")) {
        outcome = "forbidden";
        fatalNote = "no other user's quiet hours are readable with this token (requires the owner or user-admin role)";
      }
    }
  }
  if (fatalNote) ctx.logger.error(fatalNote);

  const data = {
    timestamp: isoUtc(ctx.now),
    current_user: { id: me.id, username: me.username, email: me.email ?? null, roles: me.roles.map((r) => r.name) },
    target_user: target.username,
    enterprise_config: policy.status === "ok" ? { user_quiet_hours_schedule: { default_schedule: policy.default_schedule, allow_user_custom: policy.allow_user_custom } } : null,
    user_quiet_hours: user.status === "ok" ? userQuietHoursRaw(user) : null,
    deployment_policy: policy,
    licensing,
    templates: tplSection,
    user,
    ...(users ? { users } : {}),
    ...(fatalNote ? { error: fatalNote } : {}),
  };

  const human = () => renderHuman(ctx, { me, target, policy, licensing, tplSection, user, users, fatalNote });
  return { command: "enterprise-quiet-hours", mode: "report", data, human, outcome };
}

function userQuietHoursRaw(e: UserScheduleEntry) {
  return { raw_schedule: e.raw_schedule, user_set: e.user_set, user_can_set: e.user_can_set, time: e.time, timezone: e.timezone, next: e.api_next };
}

interface PolicySection extends SectionState {
  default_schedule: string | null;
  default_schedule_description: string | null;
  allow_user_custom: boolean | null;
}

function policySection(cfg: Probe<DeploymentConfig>): PolicySection {
  if (!cfg.ok) {
    return {
      status: cfg.status === 403 ? "forbidden" : "not_found",
      message: cfg.status === 403 ? `${OWNER_ROLE_MESSAGE} (or template-admin/auditor) to read the deployment config` : `not available: ${cfg.apiMessage} (${cfg.status})`,
      default_schedule: null,
      default_schedule_description: null,
      allow_user_custom: null,
    };
  }
  const q = cfg.value.config.user_quiet_hours_schedule;
  const def = q?.default_schedule || null;
  return {
    status: "ok",
    message: null,
    default_schedule: def,
    default_schedule_description: def ? describeSchedule(def) : null,
    allow_user_custom: q ? q.allow_user_custom : null,
  };
}

interface TemplatesSection extends SectionState {
  items: { id: string; name: string; display_name: string; organization: string; autostop_requirement: { days_of_week: string[]; weeks: number } }[];
}

function templatesSection(t: Probe<Template[]>): TemplatesSection {
  if (!t.ok) return { status: t.status === 403 ? "forbidden" : "not_found", message: `not available: ${t.apiMessage} (${t.status})`, items: [] };
  const items = t.value
    .filter((x) => x.autostop_requirement && x.autostop_requirement.days_of_week.length > 0)
    .map((x) => ({
      id: x.id,
      name: x.name,
      display_name: x.display_name,
      organization: x.organization_name,
      autostop_requirement: { days_of_week: x.autostop_requirement!.days_of_week, weeks: x.autostop_requirement!.weeks },
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { status: "ok", message: null, items };
}

const RULE = "=".repeat(80);
const SUB = "-".repeat(50);
const yesNo = (v: boolean | null) => (v === null ? "unknown" : v ? "Yes" : "No");

function renderHuman(
  ctx: AppContext,
  r: {
    me: User;
    target: User;
    policy: PolicySection;
    licensing: { status: SectionStatus; message: string | null; has_license: boolean | null; advanced_template_scheduling: { entitlement: string; enabled: boolean } | null; usable: boolean | null; note: string | null };
    tplSection: TemplatesSection;
    user: UserScheduleEntry;
    users: UserScheduleEntry[] | null;
    fatalNote: string | null;
  },
): string {
  const out: string[] = [RULE, "ENTERPRISE QUIET HOURS CONFIGURATION", RULE];
  const roles = r.me.roles.map((x) => x.name);
  out.push(`Current User: ${r.me.username}${r.me.email ? ` (${r.me.email})` : ""}`, `User ID: ${r.me.id}`, `User Role: ${roles.length ? roles.join(", ") : "No roles"}`);

  out.push("", "📋 ENTERPRISE QUIET HOURS POLICY:", SUB);
  if (r.policy.status !== "ok") out.push(`  ${r.policy.message}`);
  else {
    const d = r.policy.default_schedule;
    out.push(`Default Schedule: ${d ?? "none configured (Coder uses CRON_TZ=UTC 0 0 * * *)"}${r.policy.default_schedule_description ? `  (${r.policy.default_schedule_description})` : ""}`);
    out.push(`Allow User Override: ${yesNo(r.policy.allow_user_custom)}`);
  }

  out.push("", "🔑 LICENSING:", SUB);
  const l = r.licensing;
  if (l.status !== "ok") out.push(`  ${l.message}`);
  else {
    out.push(`Licensed: ${yesNo(l.has_license)}`);
    const a = l.advanced_template_scheduling;
    out.push(`Advanced Template Scheduling: ${a ? `${a.entitlement}${a.enabled ? ", enabled" : ", disabled"}` : "not entitled"}`);
    if (l.note) out.push(`  ${l.note}`);
    if (l.usable === false) out.push(`  ${NOT_LICENSED_MESSAGE}: user quiet hours and template autostop requirements are not enforced`);
  }

  out.push("", `🏢 TEMPLATES WITH AN AUTOSTOP REQUIREMENT${r.tplSection.status === "ok" ? ` (${r.tplSection.items.length})` : ""}:`, SUB);
  if (r.tplSection.status !== "ok") out.push(`  ${r.tplSection.message}`);
  else if (r.tplSection.items.length === 0) out.push("  No template has an autostop requirement");
  else {
    out.push(
      renderTable(
        ["Template", "Organization", "Days", "Every"],
        r.tplSection.items.map((t) => [t.display_name || t.name, t.organization, t.autostop_requirement.days_of_week.join(", "), `${t.autostop_requirement.weeks} week(s)`]),
        tableView(ctx),
      ),
    );
    if (l.usable === false) out.push("  (not enforced: the deployment is not licensed for advanced template scheduling)");
  }

  const u = r.user;
  out.push("", `👤 USER QUIET HOURS SCHEDULE: ${u.username}`, SUB);
  if (u.status !== "ok") out.push(`  ${u.message}`);
  else {
    const zone = u.timezone && u.timezone !== "" ? u.timezone : "UTC";
    out.push(
      `Raw Schedule: ${u.raw_schedule}`,
      `Time: ${u.time ?? "unknown"}`,
      `Timezone: ${u.timezone ?? "unknown"}`,
      `User Set: ${yesNo(u.user_set)}${u.user_set === false ? " (deployment default)" : ""}`,
      `User Can Set: ${yesNo(u.user_can_set)}`,
      `Next: ${safeInstant(u.next, zone)}`,
      `Time Until Next: ${u.seconds_until_next === null ? "unknown" : formatDuration(u.seconds_until_next)}`,
    );
  }

  if (r.users) {
    out.push("", `👥 ALL USERS' QUIET HOURS (${r.users.length}):`, SUB);
    if (r.users.length > 0 && r.users.every((e) => e.status === "not_licensed")) out.push(`  ${NOT_LICENSED_MESSAGE}`);
    else {
      out.push(
        renderTable(
          ["User", "Time", "Timezone", "User Set", "Next", "Until Next"],
          r.users.map((e) =>
            e.status === "ok"
              ? [e.username, e.time ?? "?", e.timezone ?? "?", yesNo(e.user_set), safeInstant(e.next, e.timezone || "UTC"), e.seconds_until_next === null ? "?" : formatDuration(e.seconds_until_next)]
              : [e.username, e.message ?? e.status, "", "", "", ""],
          ),
          tableView(ctx),
        ),
      );
    }
  }
  if (r.fatalNote) out.push("", `❌ ${r.fatalNote}`);
  out.push(RULE);
  return out.join("\n");
}

function safeInstant(iso: string | null, zone: string): string {
  try {
    return formatInstant(iso, zone);
  } catch {
    return iso ?? "N/A";
  }
}
