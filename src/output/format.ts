/**
 * Formatting shared by every human renderer: durations as "2h 15m", overdue as
 * "Expired 2h 30m ago", instants in a zone with its abbreviation. Pure.
 */
import { DateTime } from "luxon";

export { parseDuration } from "./duration.js";

/** "45m", "2h 15m", "3d 4h" (the Python agents' layout); seconds are truncated toward zero. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.trunc(Math.abs(totalSeconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}

/** Time left until a deadline: "2h 15m", or "Expired 2h 30m ago" once passed. */
export function formatRemaining(seconds: number | null): string {
  if (seconds === null) return "N/A";
  return seconds < 0 ? `Expired ${formatDuration(-seconds)} ago` : formatDuration(seconds);
}

/** A TTL in milliseconds: "N/A", "45m", "8h", "1d 2h" (the Python `_format_ttl`). */
export function formatTtl(ms: number | null | undefined): string {
  if (!ms) return "N/A";
  const mins = Math.floor(ms / 60000);
  if (mins < 60) return `${mins}m`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) return `${hours}h`;
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d}d ${h}h` : `${d}d`;
}

/** "2026-01-05 19:00 GMT" in the given zone; "N/A" for null. */
export function formatInstant(iso: string | null | undefined, zone: string): string {
  if (!iso) return "N/A";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatMillis(ms, zone);
}

/**
 * Formats an instant in a zone without building a luxon DateTime per call (reports format tens of
 * thousands of instants): the zone's offset is looked up once per quarter hour — every real
 * offset change falls on a quarter-hour boundary — and its abbreviation once per offset.
 */
export function formatMillis(ms: number, zone: string): string {
  const off = offsetMinutes(zone, ms);
  const local = new Date(ms + off * 60_000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const date = `${local.getUTCFullYear()}-${p2(local.getUTCMonth() + 1)}-${p2(local.getUTCDate())}`;
  return `${date} ${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())} ${abbrevFor(zone, ms, off)}`;
}

const QUARTER_HOUR = 900_000;
const offsetCache = new Map<string, number>();
const abbrevCache = new Map<string, string>();

function offsetMinutes(zone: string, ms: number): number {
  const bucket = Math.floor(ms / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${zone}|${bucket}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    off = DateTime.fromMillis(bucket, { zone }).offset;
    if (offsetCache.size > 50_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

function abbrevFor(zone: string, ms: number, off: number): string {
  const key = `${zone}|${off}`;
  let a = abbrevCache.get(key);
  if (a === undefined) {
    a = zoneAbbrev(DateTime.fromMillis(ms, { zone }));
    abbrevCache.set(key, a);
  }
  return a;
}

/** Seconds from `now` until `iso` (negative when past), truncated; null for null. */
export function secondsUntil(iso: string | null | undefined, now: DateTime): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return Math.trunc((t - now.toMillis()) / 1000);
}

/** ISO 8601 UTC with milliseconds ("2026-01-05T19:00:00.000Z"). */
export function isoUtc(dt: DateTime): string {
  return dt.toUTC().toISO()!;
}

/** The zone abbreviation at that instant ("GMT", "BST", "CST"), or the offset ("+05:30") when the zone has none. */
export function zoneAbbrev(dt: DateTime): string {
  // ICU knows most abbreviations only in the region's own English locale (BST in en-GB, AEDT in en-AU).
  for (const locale of ABBREV_LOCALES) {
    const name = dt.setLocale(locale).toFormat("ZZZZ");
    if (!/^(GMT|UTC)[+-]/.test(name)) return name;
  }
  return dt.toFormat("ZZ");
}
const ABBREV_LOCALES = ["en-US", "en-GB", "en-AU", "en-IN", "en-NZ", "en-CA"];
