/**
 * Command wiring for policies: builds the policy set from the configuration, lists the groups when
 * a scope names groups, decides every workspace's policy, and reads the owners' quiet hours that
 * owner_quiet_hours calendars need. The decisions themselves are src/domain/policy-decide.ts.
 */
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import type { CoderClient } from "../coder/client.js";
import { CoderApiError } from "../errors.js";
import type { Group } from "../coder/schemas.js";
import { decidePolicies, ownersNeedingSchedules, policiesNeedGroups, type PolicyInputs, type PolicySubjectSource } from "../domain/policy-decide.js";
import { assertNoTies, policiesFromConfig } from "../domain/policy/index.js";
import type { PolicyResolution } from "../domain/policy/resolve.js";
import type { OwnerSchedule } from "../domain/policy/types.js";
import { quietStartFromResponse, type QuietStart } from "../domain/user-quiet-hours.js";
import { mapLimit } from "../util/concurrency.js";

export interface LoadedPolicies {
  inputs: PolicyInputs;
  decisions: Map<string, PolicyResolution>;
}

/**
 * The policies of `workspaces` at `ctx.now`. No request is made without configured policies;
 * groups are listed only when a scope names groups, owners' quiet hours only for owners whose
 * policy uses them (one request per owner, http.concurrency at a time; an unreadable schedule falls
 * back to midnight in prune_workspaces.timezone, as prune does).
 */
export async function loadPolicies(
  ctx: AppContext,
  client: CoderClient,
  workspaces: readonly PolicySubjectSource[],
  opts: {
    zoneOverride?: string | undefined;
    now?: DateTime;
    /** The run's group listing when it already has one (not listed again). */
    groups?: () => Promise<readonly Group[]>;
    /** false: decide policies only, without reading owners' quiet hours (ttl-monitor names the policy, no more). */
    schedules?: boolean;
    /** Owners' quiet-hours starts the run has already read from Coder, by username (not read again). */
    knownStarts?: ReadonlyMap<string, QuietStart>;
  } = {},
): Promise<LoadedPolicies> {
  const now = opts.now ?? ctx.now;
  const set = policiesFromConfig(ctx.config, ctx.holidayCalendars, { zoneOverride: opts.zoneOverride });
  // A tie the configuration shows is an error (exit 2) whichever workspaces are listed.
  assertNoTies(set, now);
  const groups: readonly Group[] = policiesNeedGroups(set) ? await (opts.groups ?? (() => client.listGroups()))() : [];
  const decisions = decidePolicies(set, groups, workspaces, now);
  const ownerSchedules = new Map<string, OwnerSchedule>();
  const owners = opts.schedules === false ? [] : [...ownersNeedingSchedules(decisions, workspaces)];
  const fallback: OwnerSchedule = { hour: 0, minute: 0, timezone: ctx.config.prune_workspaces.timezone };
  await mapLimit(owners, ctx.config.http.concurrency, async (owner) => {
    let start = opts.knownStarts?.get(owner) ?? null;
    if (start) {
      ownerSchedules.set(owner, { hour: start.hour, minute: start.minute, timezone: start.timezone });
      return;
    }
    try {
      start = quietStartFromResponse(await client.getQuietHours(owner));
    } catch (err) {
      if (!(err instanceof CoderApiError) || (err.status !== 403 && err.status !== 404)) throw err;
      ctx.logger.warn(`quiet hours of ${owner} not readable (${err.status}): their policy's calendar uses midnight ${ctx.config.prune_workspaces.timezone}`);
    }
    ownerSchedules.set(owner, start ? { hour: start.hour, minute: start.minute, timezone: start.timezone } : fallback);
  });
  return { inputs: { set, groups, ownerSchedules }, decisions };
}
