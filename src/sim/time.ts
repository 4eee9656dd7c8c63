/**
 * Time helpers for the simulator: relative offsets ("+2h", "-10m", "-1d", "-90s", "-1d2h"),
 * ISO instants, and the simulated clock.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const OFFSET_RE = /^([+-])((?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+)$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Milliseconds of a relative offset such as "-1d2h", or null when the text is not an offset. */
export function parseOffset(text: string): number | null {
  const m = OFFSET_RE.exec(text.trim());
  if (!m) return null;
  let total = 0;
  for (const part of (m[2] ?? "").matchAll(PART_RE)) {
    total += Number(part[1]) * (UNIT_MS[part[2] ?? "ms"] ?? 1);
  }
  return m[1] === "-" ? -total : total;
}

/** True when the text is an ISO-8601 instant with a date and a time. */
export function isIsoInstant(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text));
}

export function isTimeValue(text: string): boolean {
  return parseOffset(text) !== null || isIsoInstant(text);
}

/** Resolves an ISO instant or an offset from `base` to epoch milliseconds. */
export function resolveTime(text: string, base: number): number {
  const off = parseOffset(text);
  if (off !== null) return base + off;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`not a time: ${JSON.stringify(text)}`);
  return t;
}

/**
 * RFC 3339 in UTC as Go's time.Time marshals it (RFC3339Nano): trailing zeros of the fraction are
 * trimmed and a whole second has no fraction ("2026-01-05T19:30:00Z", "…:00.25Z").
 */
export function iso(ms: number): string {
  return trimFraction(new Date(ms).toISOString());
}

function trimFraction(text: string): string {
  return text.replace(/\.(\d*?)0*(Z|[+-]\d\d:\d\d)$/, (_m, digits: string, zone: string) => (digits ? `.${digits}${zone}` : zone));
}

/**
 * RFC 3339 at a UTC offset (minutes east of UTC), as Go formats a time in a location: "Z" when
 * the offset is zero, else "+11:00" / "-05:30".
 */
export function isoAtOffset(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return iso(ms);
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return trimFraction(`${local}${sign}${hh}:${mm}`);
}

/** Formats milliseconds as a relative offset understood by parseOffset (used by the generator). */
export function offset(ms: number): string {
  const sign = ms < 0 ? "-" : "+";
  const abs = Math.abs(Math.round(ms));
  if (abs % 60_000 === 0) return `${sign}${abs / 60_000}m`;
  if (abs % 1_000 === 0) return `${sign}${abs / 1_000}s`;
  return `${sign}${abs}ms`;
}

/**
 * The simulated clock: starts at a given instant and advances with real time, unless frozen.
 * Tests move it with set().
 */
export class SimClock {
  private baseSim: number;
  private baseReal: number;
  private frozenFlag: boolean;

  constructor(start: number, frozen = false, private readonly realNow: () => number = Date.now) {
    this.baseSim = start;
    this.baseReal = realNow();
    this.frozenFlag = frozen;
  }

  now(): number {
    return this.frozenFlag ? this.baseSim : this.baseSim + (this.realNow() - this.baseReal);
  }

  get frozen(): boolean {
    return this.frozenFlag;
  }

  set(at: number, frozen?: boolean): void {
    this.baseSim = at;
    this.baseReal = this.realNow();
    if (frozen !== undefined) this.frozenFlag = frozen;
  }

  setFrozen(frozen: boolean): void {
    this.set(this.now(), frozen);
  }
}
