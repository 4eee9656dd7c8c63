/**
 * A Coder user's quiet-hours start (from `GET /users/{user}/quiet-hours`, the deployment default, or
 * a configured fallback) and the per-owner window `[start, start + duration)` that `prune` uses.
 *
 * Pure: no I/O, no clock. Window instants are computed in the owner's zone with luxon, so they stay
 * correct across daylight-saving changes: the start is the most recent daily occurrence of the
 * wall-clock time at or before `now` (a time that falls in a DST gap moves forward by the gap, as
 * luxon resolves it), and the end is `duration` of elapsed time later.
 */
import { isValidZone } from "./quiet-window.js";
import { DateTime } from "luxon";
import type { QuietHours } from "../coder/schemas.js";
import { parseQuietHours } from "./cron.js";

/** Where an owner's quiet-hours start came from. */
export type QuietStartSource =
  /** The user's own schedule (`user_set: true`). */
  | "user"
  /** Coder's answer for a user without a custom schedule: the deployment default, resolved by Coder. */
  | "default"
  /** `user_quiet_hours_schedule.default_schedule` from the deployment config (the user's schedule was not readable). */
  | "deployment-default"
  /** Midnight in `prune_workspaces.timezone` (neither the user's schedule nor the deployment default was usable). */
  | "fallback";

/** The daily wall-clock time a user's quiet hours start, in their zone. */
export interface QuietStart {
  /** "HH:MM" (24-hour). */
  time: string;
  hour: number;
  minute: number;
  /** IANA zone. */
  timezone: string;
  source: QuietStartSource;
  /** The cron string it came from (null for the configured fallback). */
  raw_schedule: string | null;
  user_set: boolean;
  user_can_set: boolean | null;
  /** The API's `next` (RFC 3339), when the schedule came from the API. */
  next: string | null;
  /** Why a fallback was used, or a note about the API's fields (e.g. a `time` that disagreed with `raw_schedule`). */
  note: string | null;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;


/** The start time of a quiet-hours cron string (`CRON_TZ=Zone M H * * *`; no prefix means UTC), or null when it is not one daily time. */
export function quietStartFromSchedule(raw: string, source: QuietStartSource): QuietStart | null {
  let schedule;
  try {
    schedule = parseQuietHours(raw.trim());
  } catch {
    return null;
  }
  const time = schedule.timeOfDay();
  const m = time ? HHMM.exec(time) : null;
  if (!time || !m) return null;
  return {
    time,
    hour: Number(m[1]),
    minute: Number(m[2]),
    timezone: schedule.timezone,
    source,
    raw_schedule: raw,
    user_set: source === "user",
    user_can_set: null,
    next: null,
    note: null,
  };
}

/**
 * The start time from Coder's quiet-hours response. `raw_schedule` is the authority; the API's
 * `time`/`timezone` are used when `raw_schedule` cannot be parsed and they are sane (a `time` of
 * "HH:MM" and a known zone). When both are usable but disagree (old Coder versions formatted `time`
 * with the Go layout "15:40", e.g. 09:05 → "09:50"), `raw_schedule` wins and a note says so.
 * Returns null when neither is usable.
 */
export function quietStartFromResponse(qh: QuietHours): QuietStart | null {
  const source: QuietStartSource = qh.user_set ? "user" : "default";
  const fromRaw = quietStartFromSchedule(qh.raw_schedule, source);
  const apiTime = qh.time !== undefined ? HHMM.exec(qh.time) : null;
  const apiSane = apiTime !== null && isValidZone(qh.timezone);
  const extra = { user_set: qh.user_set, user_can_set: qh.user_can_set ?? null, next: qh.next ?? null };
  if (fromRaw) {
    const agrees = !apiSane || (qh.time === fromRaw.time && qh.timezone === fromRaw.timezone);
    const note = agrees
      ? null
      : `the API's time/timezone (${qh.time} ${qh.timezone}) disagree with raw_schedule; using raw_schedule`;
    return { ...fromRaw, ...extra, note };
  }
  if (apiSane && apiTime) {
    return {
      time: qh.time!,
      hour: Number(apiTime[1]),
      minute: Number(apiTime[2]),
      timezone: qh.timezone!,
      source,
      raw_schedule: qh.raw_schedule,
      ...extra,
      note: `raw_schedule ${JSON.stringify(qh.raw_schedule)} is not a daily schedule; using the API's time and timezone`,
    };
  }
  return null;
}

/** Midnight in `zone`: the last resort (`prune_workspaces.timezone`). */
export function fallbackQuietStart(zone: string, note: string): QuietStart {
  return {
    time: "00:00",
    hour: 0,
    minute: 0,
    timezone: zone,
    source: "fallback",
    raw_schedule: null,
    user_set: false,
    user_can_set: null,
    next: null,
    note,
  };
}

/**
 * Coder's own default quiet hours: the `--default-quiet-hours-schedule` option's default, and what a
 * server with advanced template scheduling uses when none is configured.
 */
export const CODER_DEFAULT_QUIET_HOURS = "CRON_TZ=UTC 0 0 * * *";

/**
 * The quiet-hours start of an owner whose own schedule is not usable (not readable, not licensed,
 * not a daily time). The one rule every command uses (`prune` for the owner's window, `autostop`
 * for the prune cause and `--explain`):
 * 1. the deployment's `user_quiet_hours_schedule.default_schedule`, when it was read and is a daily time;
 * 2. none configured (read as "") on a deployment with advanced template scheduling: Coder's own
 *    default, midnight UTC (`CRON_TZ=UTC 0 0 * * *`), which is what Coder itself applies;
 * 3. otherwise (not licensed, so Coder has no quiet hours; the deployment config is not readable;
 *    the default is not a daily time): midnight in `prune_workspaces.timezone`.
 * `deploymentDefault` null means the deployment config could not be read; `why` says why the
 * owner's own schedule was not used.
 */
export function ownerScheduleFallback(input: { advanced: boolean; deploymentDefault: string | null; pruneZone: string; why: string }): QuietStart {
  const raw = input.deploymentDefault;
  if (raw) {
    const qs = quietStartFromSchedule(raw, "deployment-default");
    if (qs) return { ...qs, note: input.why };
    return fallbackQuietStart(input.pruneZone, `${input.why}; the deployment default ${JSON.stringify(raw)} is not a daily time: prune_workspaces.timezone midnight`);
  }
  if (raw === "" && input.advanced) {
    const qs = quietStartFromSchedule(CODER_DEFAULT_QUIET_HOURS, "deployment-default")!;
    return { ...qs, note: `${input.why}; no deployment default configured: Coder's own default ${CODER_DEFAULT_QUIET_HOURS}` };
  }
  const whyNot = raw === null ? "the deployment config is not readable" : "no deployment default schedule";
  return fallbackQuietStart(input.pruneZone, `${input.why}; ${whyNot}: prune_workspaces.timezone midnight`);
}

/** An owner's window relative to the evaluated instant. */
export interface QuietWindow {
  /** The most recent start at or before `now`, in the owner's zone. */
  start: DateTime;
  /** `start` + duration (elapsed time), in the owner's zone. */
  end: DateTime;
  /** `start <= now < end`. */
  inside: boolean;
  /** The next start after `now`, in the owner's zone. */
  nextStart: DateTime;
}

/**
 * The instant of wall-clock `hour:minute` on the calendar day of `day` in `zone` (a DST-gap time
 * moves forward). A time that occurs twice (clocks going back) means its first occurrence, as for
 * quiet-hours windows: luxon alone picks either occurrence depending on the zone.
 */
export function atWallClock(day: DateTime, hour: number, minute: number, zone: string): DateTime {
  const guess = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone });
  const before = DateTime.fromMillis(guess.toMillis() - 86_400_000, { zone }).offset;
  if (before > guess.offset) {
    const first = DateTime.fromMillis(guess.toMillis() - (before - guess.offset) * 60_000, { zone });
    if (first.offset === before) return first;
  }
  return guess;
}

/**
 * The owner's quiet-hours window at `now`: `[start, start + durationHours)` where start is the most
 * recent daily occurrence of `qs.hour:qs.minute` in `qs.timezone` at or before `now`.
 * `durationHours` must be > 0 and < 24 (validated by the caller).
 */
export function quietWindowAt(qs: Pick<QuietStart, "hour" | "minute" | "timezone">, now: DateTime, durationHours: number): QuietWindow {
  const local = now.setZone(qs.timezone);
  let start = atWallClock(local, qs.hour, qs.minute, qs.timezone);
  let nextStart: DateTime;
  if (start.toMillis() > now.toMillis()) {
    nextStart = start;
    start = atWallClock(local.minus({ days: 1 }), qs.hour, qs.minute, qs.timezone);
  } else {
    nextStart = atWallClock(local.plus({ days: 1 }), qs.hour, qs.minute, qs.timezone);
  }
  const end = start.plus({ milliseconds: Math.round(durationHours * 3_600_000) });
  const inside = start.toMillis() <= now.toMillis() && now.toMillis() < end.toMillis();
  return { start, end, inside, nextStart };
}

/** "18:00 - 02:00" (the Python agent's "Current Period" line). */
export function formatPeriod(w: Pick<QuietWindow, "start" | "end">): string {
  return `${w.start.toFormat("HH:mm")} - ${w.end.toFormat("HH:mm")}`;
}

/** A duration in hours for display: "8h", "1.5h" → "1h 30m". */
export function formatHours(hours: number): string {
  const totalMinutes = Math.round(hours * 60);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return m === 0 ? `${h}h` : h === 0 ? `${m}m` : `${h}h ${m}m`;
}
