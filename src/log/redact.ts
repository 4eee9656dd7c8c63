/**
 * The one redaction function. Every string that leaves the process (stdout in human and JSON
 * form, stderr, the log file, journal records, notifications) passes through `redact`, which
 * replaces each registered secret — by value, wherever it appears — with "[REDACTED]".
 *
 * A secret is matched in the forms it can take in our output: as is, JSON-escaped (inside a
 * JSON string: a log line, a journal record, --json output) and percent-encoded (inside a URL).
 */
export const REDACTED = "[REDACTED]";

/** Secrets shorter than this are never real tokens; scrubbing them would garble output. */
const MIN_SECRET_LENGTH = 4;

function formsOf(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Replaces every occurrence of each secret (in each of its forms) in `s`. */
export function redact(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of formsOf(secret)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/**
 * The run's secrets (the session token, once resolved). Shared by every writer of the run, so a
 * secret registered late is still scrubbed from everything written after.
 */
export class Secrets {
  private readonly values: string[] = [];

  add(secret: string | undefined): void {
    const s = secret?.trim();
    if (s && s.length >= MIN_SECRET_LENGTH && !this.values.includes(s)) this.values.push(s);
  }

  get list(): readonly string[] {
    return this.values;
  }

  /** `s` with every secret replaced. */
  redact = (s: string): string => (this.values.length === 0 ? s : redact(s, this.values));

  /** A deep copy of a JSON-like value with every string (and key) redacted. */
  redactValue = <T>(value: T): T => (this.values.length === 0 ? value : (redactDeep(value, this.redact) as T));
}

function redactDeep(value: unknown, r: (s: string) => string): unknown {
  if (typeof value === "string") return r(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[r(k)] = redactDeep(v, r);
    return out;
  }
  return value;
}
