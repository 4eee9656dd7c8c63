/** Duration parsing for flags; kept free of heavy imports because option parsing loads it at start-up. */

/**
 * Parses a duration flag: "2h", "90m", "1h30m", "45s", "1d", "12w", or a bare number of hours
 * ("1.5"). Returns seconds, or null when the text is not a duration.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 3600);
  const re = /(\d+(?:\.\d+)?)\s*(w|d|h|m|s)/g;
  let total = 0;
  let consumed = "";
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    total += n * ({ w: 604800, d: 86400, h: 3600, m: 60, s: 1 } as const)[m[2] as "w" | "d" | "h" | "m" | "s"];
    consumed += m[0];
  }
  if (!consumed || consumed.replace(/\s/g, "") !== t.replace(/\s/g, "")) return null;
  return Math.round(total);
}
