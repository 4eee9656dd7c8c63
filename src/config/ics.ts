/**
 * Holiday calendars from ICS files (RFC 5545), parsed with ical.js. A file is read once when the
 * configuration is loaded (relative paths are relative to the config file's directory); an
 * unreadable or unparsable file is a configuration error (exit 2) naming the file.
 *
 * Every VEVENT is a holiday (STATUS:CANCELLED ones excepted):
 * - an all-day event (DTSTART;VALUE=DATE) covers its dates, DTEND exclusive (a multi-day event
 *   covers each day; no DTEND means one day);
 * - a timed event covers every local date it touches in the policy's zone (its TZID when that is an
 *   IANA zone, UTC for "Z" times; floating times and unknown TZIDs are read in the policy's zone);
 * - recurring events (RRULE, RDATE, EXDATE, and overridden instances by RECURRENCE-ID) are
 *   expanded by ical.js, lazily, as far as a question reaches.
 */
import ICAL from "ical.js";
import { DateTime, IANAZone } from "luxon";
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import type { HolidayCalendar, HolidayDay } from "../domain/policy/types.js";

/** Safety bound on the occurrences expanded for one event (a daily rule for 270 years). */
const MAX_OCCURRENCES = 100_000;

type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalEvent = InstanceType<typeof ICAL.Event>;

interface Occurrence {
  start: IcalTime;
  end: IcalTime;
}

interface ParsedEvent {
  summary: string;
  event: IcalEvent;
  /** "UTC", an IANA zone, or null (floating / unknown TZID: the policy's zone). */
  zone: string | null;
  occurrences: Occurrence[];
  /** Expansion state: null once every occurrence is known. */
  iterator: { next(): IcalTime | null | undefined } | null;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const dateOf = (t: IcalTime) => `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;

function zoneOf(event: IcalEvent): string | null {
  const start = event.startDate;
  if (start.isDate) return null;
  if (start.zone?.tzid === "UTC" || start.zone === ICAL.Timezone.utcTimezone) return "UTC";
  const tzid = event.component.getFirstProperty("dtstart")?.getParameter("tzid");
  const name = typeof tzid === "string" ? tzid : start.zone?.tzid;
  return name && IANAZone.isValidZone(name) ? name : null;
}

/** The local dates an occurrence covers, in `policyZone`. */
function datesOf(o: Occurrence, ev: ParsedEvent, policyZone: string): string[] {
  let first: DateTime;
  let last: DateTime;
  if (o.start.isDate) {
    first = DateTime.fromISO(dateOf(o.start), { zone: "utc" });
    const endExclusive = DateTime.fromISO(dateOf(o.end), { zone: "utc" });
    last = endExclusive.toMillis() > first.toMillis() ? endExclusive.minus({ days: 1 }) : first;
  } else {
    const zone = ev.zone ?? policyZone;
    const at = (t: IcalTime) => DateTime.fromObject({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }, { zone }).setZone(policyZone);
    const s = at(o.start);
    const e = at(o.end);
    first = DateTime.fromISO(s.toISODate()!, { zone: "utc" });
    const lastInstant = e.toMillis() > s.toMillis() ? e.minus({ milliseconds: 1 }) : s;
    last = DateTime.fromISO(lastInstant.toISODate()!, { zone: "utc" });
  }
  const out: string[] = [];
  for (let d = first; d.toMillis() <= last.toMillis(); d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

/** Expands the event's occurrences until one starts after `until` (a date), or all are known. */
function expandUntil(ev: ParsedEvent, until: string): void {
  while (ev.iterator) {
    const last = ev.occurrences.at(-1);
    if (last && dateOf(last.start) > until) return;
    const next = ev.iterator.next();
    if (!next || ev.occurrences.length >= MAX_OCCURRENCES) {
      ev.iterator = null;
      return;
    }
    const d = ev.event.getOccurrenceDetails(next);
    if (d.item.component.getFirstPropertyValue("status") === "CANCELLED") continue;
    ev.occurrences.push({ start: d.startDate, end: d.endDate });
  }
}

function isInfinite(event: IcalEvent): boolean {
  return event.component.getAllProperties("rrule").some((p) => {
    const r = p.getFirstValue() as { until?: unknown; count?: unknown } | null;
    return !!r && !r.until && !r.count;
  });
}

/** Parses ICS text; throws with a short reason when it is not an iCalendar file. */
export function parseHolidayCalendar(path: string, text: string): HolidayCalendar {
  const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  if (root.name !== "vcalendar") throw new Error(`expected a VCALENDAR, found ${root.name.toUpperCase()}`);
  const vevents = root.getAllSubcomponents("vevent");
  const masters = new Map<string, IcalEvent>();
  const exceptions: IcalEvent[] = [];
  const events: IcalEvent[] = [];
  for (const c of vevents) {
    const ev = new ICAL.Event(c);
    if (!c.getFirstProperty("dtstart")) throw new Error(`event ${JSON.stringify(ev.summary ?? ev.uid ?? "")} has no DTSTART`);
    if (c.hasProperty("recurrence-id")) exceptions.push(ev);
    else {
      events.push(ev);
      if (ev.uid) masters.set(ev.uid, ev);
    }
  }
  for (const ex of exceptions) {
    const master = masters.get(ex.uid);
    if (master) master.relateException(ex);
    else events.push(ex);
  }
  const parsed: ParsedEvent[] = events
    .filter((ev) => ev.component.getFirstPropertyValue("status") !== "CANCELLED")
    .map((ev) => ({
      summary: ev.summary ?? "",
      event: ev,
      zone: zoneOf(ev),
      occurrences: ev.isRecurring() ? [] : [{ start: ev.startDate, end: ev.endDate }],
      iterator: ev.isRecurring() ? ev.iterator() : null,
    }));
  const infinite = parsed.some((p) => p.iterator !== null && isInfinite(p.event));
  return {
    path,
    daysBetween(from: string, to: string, zone: string): HolidayDay[] {
      const out: HolidayDay[] = [];
      // Occurrences starting up to a day after `to` can cover `to` in a zone behind theirs.
      const reach = DateTime.fromISO(to, { zone: "utc" }).plus({ days: 1 }).toISODate()!;
      for (const ev of parsed) {
        expandUntil(ev, reach);
        for (const o of ev.occurrences) {
          for (const date of datesOf(o, ev, zone)) {
            if (date >= from && date <= to) out.push({ date, source: `${path}${ev.summary ? `: ${ev.summary}` : ""}` });
          }
        }
      }
      return out;
    },
    lastDate(): string | null | undefined {
      if (infinite) return null;
      let last: string | undefined;
      for (const ev of parsed) {
        expandUntil(ev, "9999-12-31");
        for (const o of ev.occurrences) {
          const d = datesOf(o, ev, ev.zone ?? "UTC").at(-1);
          if (d && (!last || d > last)) last = d;
        }
      }
      return last;
    },
  };
}

/**
 * Reads and parses every ICS file the policies name, once each. Paths are relative to `baseDir`
 * (the config file's directory). `readFile` returns null for a missing file.
 */
export function loadHolidayCalendars(
  policies: readonly { holidays?: { ics_files: readonly string[] } | undefined }[],
  io: { baseDir: string; readFile(path: string): string | null; where: string },
): Map<string, HolidayCalendar> {
  const out = new Map<string, HolidayCalendar>();
  policies.forEach((p, i) => {
    (p.holidays?.ics_files ?? []).forEach((file, j) => {
      if (out.has(file)) return;
      const full = isAbsolute(file) ? file : resolve(io.baseDir, file);
      const key = `${io.where}: policies[${i}].holidays.ics_files[${j}]`;
      let text: string | null;
      try {
        text = io.readFile(full);
      } catch (err) {
        throw new ConfigError(`${key}: ICS file ${full} cannot be read (${(err as Error).message})`);
      }
      if (text === null) throw new ConfigError(`${key}: ICS file ${full} not found`);
      try {
        out.set(file, parseHolidayCalendar(file, text));
      } catch (err) {
        throw new ConfigError(`${key}: ICS file ${full} is not a valid iCalendar file (${(err as Error).message})`);
      }
    });
  });
  return out;
}
