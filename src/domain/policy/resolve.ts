/**
 * Which policy decides for a workspace. Pure.
 *
 * - A policy matches a subject as prune's filters match a workspace: AND across dimensions, OR
 *   within one, an exclude always beats an include; ids match exactly, names case-insensitively.
 *   An empty scope matches everyone.
 * - Its level is the most specific dimension with an include list (user > group > template >
 *   organization); a policy without any include list is at the "default" level and replaces the
 *   implicit default policy (the `quiet_hours` section).
 * - The most specific matching level wins. Two matching policies at the winning level are a
 *   configuration error (exit 2) naming both; `policyTies` finds the ties visible from the
 *   configuration alone, resolution finds the rest (e.g. an owner in two groups with a policy each).
 * - An expired policy never matches; it is listed among the beaten with its expiry.
 */
import type { DateTime } from "luxon";
import { ConfigError } from "../../errors.js";
import { isExpired, policyExpiry } from "./calendar.js";
import { LEVEL_OF, POLICY_LEVELS, SCOPE_DIMENSIONS, type Policy, type PolicyLevel, type PolicyScope, type PolicySet, type PolicySubject, type ScopeDimension, type SubjectEntity } from "./types.js";

export interface BeatenPolicy {
  name: string;
  level: PolicyLevel;
  why: string;
}

export interface PolicyResolution {
  policy: Policy;
  level: PolicyLevel;
  /** Why the policy matched ("users include alice", "no configured policy matches"). */
  why: string;
  /** Every other policy, with why it did not decide. */
  beaten: BeatenPolicy[];
}

/** Two policies apply to the same subject at the same level: a configuration error (exit 2). */
export class PolicyTieError extends ConfigError {
  constructor(
    readonly policies: readonly string[],
    readonly level: PolicyLevel,
    detail: string,
  ) {
    super(
      `policies ${policies.map((p) => `"${p}"`).join(" and ")} both apply ${detail} at the ${level} level: a policy tie is a configuration error. Make one of them more specific (a user or group include), or exclude the overlap from one of them`,
    );
  }
}

/** The level a scope gives a policy: its most specific dimension with an include list. */
export function levelOfScope(scope: PolicyScope): PolicyLevel {
  for (const dim of SCOPE_DIMENSIONS) if (scope[dim].include.length > 0) return LEVEL_OF[dim];
  return "default";
}

const rank = (l: PolicyLevel) => POLICY_LEVELS.indexOf(l);

export function entityMatches(value: string, e: SubjectEntity): boolean {
  const lower = value.toLowerCase();
  return e.id === value || e.names.some((n) => n.toLowerCase() === lower);
}

function entitiesOf(subject: PolicySubject, dim: ScopeDimension): readonly SubjectEntity[] {
  switch (dim) {
    case "users":
      return [subject.user];
    case "groups":
      return subject.groups;
    case "templates":
      return [subject.template];
    case "organizations":
      return [subject.organization];
  }
}

/** Whether the policy's scope takes the subject, and the rule that decided. */
export function scopeVerdict(scope: PolicyScope, subject: PolicySubject): { matches: boolean; why: string } {
  for (const dim of SCOPE_DIMENSIONS) {
    const hit = scope[dim].exclude.find((v) => entitiesOf(subject, dim).some((e) => entityMatches(v, e)));
    if (hit !== undefined) return { matches: false, why: `excluded by scope.${dim}.exclude: ${hit}` };
  }
  let first: string | null = null;
  for (const dim of SCOPE_DIMENSIONS) {
    const inc = scope[dim].include;
    if (inc.length === 0) continue;
    const hit = inc.find((v) => entitiesOf(subject, dim).some((e) => entityMatches(v, e)));
    if (hit === undefined) return { matches: false, why: `not in scope.${dim}.include (${inc.join(", ")})` };
    first ??= `scope.${dim}.include: ${hit}`;
  }
  return { matches: true, why: first ?? "its scope takes everyone" };
}

function describeSubject(s: PolicySubject): string {
  return `to user ${s.user.names[0] ?? s.user.id} (template ${s.template.names[0] ?? s.template.id})`;
}

/** Decides the policy for one subject at `now`. Throws PolicyTieError on a tie. */
export function resolvePolicy(set: PolicySet, subject: PolicySubject, now: DateTime): PolicyResolution {
  const beaten: BeatenPolicy[] = [];
  const candidates: { p: Policy; why: string }[] = [];
  for (const p of set.policies) {
    if (isExpired(p, now)) {
      beaten.push({ name: p.name, level: p.level, why: `expired (expires ${p.expires}, ended ${policyExpiry(p)!.toISO()})` });
      continue;
    }
    const v = scopeVerdict(p.scope, subject);
    if (!v.matches) beaten.push({ name: p.name, level: p.level, why: v.why });
    else candidates.push({ p, why: v.why });
  }
  if (candidates.length === 0) {
    return { policy: set.implicitDefault, level: "default", why: "no configured policy applies: the quiet_hours section decides", beaten };
  }
  const best = Math.min(...candidates.map((c) => rank(c.p.level)));
  const winners = candidates.filter((c) => rank(c.p.level) === best);
  if (winners.length > 1) throw new PolicyTieError(winners.map((w) => w.p.name), winners[0]!.p.level, describeSubject(subject));
  const win = winners[0]!;
  for (const c of candidates) {
    if (c === win) continue;
    beaten.push({ name: c.p.name, level: c.p.level, why: `matches (${c.why}) but is less specific (${c.p.level}) than ${win.p.name} (${win.p.level})` });
  }
  beaten.push({ name: set.implicitDefault.name, level: "default", why: `the default policy; ${win.p.name} (${win.p.level}) applies` });
  return { policy: win.p, level: win.p.level, why: win.why, beaten };
}

/** The policies (not expired at `now`) whose scope takes the subject, most specific first. */
export function matchingPolicies(set: PolicySet, subject: PolicySubject, now: DateTime): Policy[] {
  return set.policies.filter((p) => !isExpired(p, now) && scopeVerdict(p.scope, subject).matches).sort((a, b) => rank(a.level) - rank(b.level));
}

/** A tie visible from the configuration alone. */
export interface PolicyTie {
  policies: [string, string];
  level: PolicyLevel;
  why: string;
}

const lowerSet = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
const DIM_OF_LEVEL: Partial<Record<PolicyLevel, ScopeDimension>> = { user: "users", group: "groups", template: "templates", organization: "organizations" };

/**
 * Pairs of policies (not expired at `now`) at the same level that the configuration shows can
 * match the same subject: both at the default level, or sharing an include value at their level
 * (not excluded by either) while every other dimension both restrict shares a value too.
 * Names and ids are compared as written (case-insensitively); overlaps through group membership
 * or an id and a name of one entity show only at resolution time (and in `policy lint`).
 */
export function policyTies(set: PolicySet, now: DateTime): PolicyTie[] {
  const active = set.policies.filter((p) => !isExpired(p, now));
  const out: PolicyTie[] = [];
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      const a = active[i]!;
      const b = active[j]!;
      if (a.level !== b.level) continue;
      if (a.level === "default") {
        out.push({ policies: [a.name, b.name], level: a.level, why: "neither has an include list: both apply to everyone" });
        continue;
      }
      const dim = DIM_OF_LEVEL[a.level]!;
      const shared = [...lowerSet(a.scope[dim].include)].filter(
        (v) => lowerSet(b.scope[dim].include).has(v) && !lowerSet(a.scope[dim].exclude).has(v) && !lowerSet(b.scope[dim].exclude).has(v),
      );
      if (shared.length === 0) continue;
      const disjoint = SCOPE_DIMENSIONS.some((d) => {
        if (d === dim) return false;
        const ai = lowerSet(a.scope[d].include);
        const bi = lowerSet(b.scope[d].include);
        return ai.size > 0 && bi.size > 0 && ![...ai].some((v) => bi.has(v));
      });
      if (!disjoint) out.push({ policies: [a.name, b.name], level: a.level, why: `both include ${dim} ${shared.join(", ")}` });
    }
  }
  return out;
}

/** Throws PolicyTieError for the first tie visible from the configuration (see policyTies). */
export function assertNoTies(set: PolicySet, now: DateTime): void {
  const tie = policyTies(set, now)[0];
  if (tie) throw new PolicyTieError(tie.policies, tie.level, `(${tie.why})`);
}
