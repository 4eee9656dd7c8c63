/**
 * A strict checker of the Prometheus text exposition format (version 0.0.4), standing in for
 * `promtool check metrics`: syntax of every line, HELP/TYPE placement, contiguous families, no
 * duplicate series, label escaping, and promtool's lint rules that apply here (counters end in
 * `_total` and never go negative, every family has HELP, no non-base units).
 * Returns the parsed families; throws an Error naming the line on the first violation.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | null;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NON_BASE_UNITS = /_(milliseconds|microseconds|nanoseconds|minutes|hours|days|kilobytes|megabytes|percent)(_|$)/;

function parseValue(s: string, where: string): number {
  if (s === "NaN") return NaN;
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value "${s}"`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` with the format's escapes; returns the labels and the rest of the line. */
function parseLabels(s: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after "{"
  for (;;) {
    while (s[i] === " ") i++;
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(s.slice(i));
    if (!m) throw new Error(`${where}: bad label at "${s.slice(i)}"`);
    const name = m[1]!;
    if (name.startsWith("__")) throw new Error(`${where}: reserved label name ${name}`);
    if (name in labels) throw new Error(`${where}: duplicate label ${name}`);
    i += m[0].length;
    let value = "";
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\n") throw new Error(`${where}: raw newline in label value`);
      if (c === "\\") {
        const e = s[i + 1];
        if (e === "\\" || e === '"') value += e;
        else if (e === "n") value += "\n";
        else throw new Error(`${where}: bad escape \\${e ?? ""} in label value`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++; // closing quote
    while (s[i] === " ") i++;
    if (s[i] === ",") i++;
    else if (s[i] !== "}") throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

export function checkExposition(text: string): PromFamily[] {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const lines = text.split("\n");
  lines.pop();
  const family = (name: string): PromFamily => {
    if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
    let f = families.get(name);
    if (!f) {
      f = { name, type: "untyped", help: null, samples: [] };
      families.set(name, f);
    }
    if (current !== null && current !== name) closed.add(current);
    current = name;
    return f;
  };
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ""] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`${where}: bad metric name ${name}`);
      if (closed.has(name!) || (families.has(name!) && current !== name)) throw new Error(`${where}: ${kind} for ${name} after its family ended`);
      const f = family(name!);
      if (kind === "HELP") {
        if (f.help !== null) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest;
      } else {
        if (f.samples.length > 0) throw new Error(`${where}: TYPE for ${name} after its samples`);
        if (f.type !== "untyped") throw new Error(`${where}: second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`${where}: bad type "${rest}"`);
        f.type = rest as PromFamily["type"];
      }
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!nm) throw new Error(`${where}: bad sample "${line}"`);
    const name = nm[1]!;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, where));
    const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!vm) throw new Error(`${where}: expected " value [timestamp]" after ${name}, got "${rest}"`);
    const value = parseValue(vm[1]!, where);
    const base = families.has(name) ? name : [...families.keys()].find((f) => /^(.*)_(sum|count|bucket)$/.exec(name)?.[1] === f) ?? name;
    const f = family(base);
    if (f.type === "counter" || f.type === "gauge" || f.type === "untyped") {
      if (name !== f.name) throw new Error(`${where}: sample ${name} does not belong to ${f.type} ${f.name}`);
    }
    if (f.type === "counter" && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${value}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    series.add(key);
    for (const l of Object.keys(labels)) if (!LABEL_NAME.test(l)) throw new Error(`${where}: bad label name ${l}`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.help === null || f.help === "") throw new Error(`lint: ${f.name} has no HELP`);
    if (f.type === "counter" && !f.name.endsWith("_total")) throw new Error(`lint: counter ${f.name} should end in _total`);
    if (f.type !== "counter" && f.name.endsWith("_total")) throw new Error(`lint: non-counter ${f.name} ends in _total`);
    if (NON_BASE_UNITS.test(f.name)) throw new Error(`lint: ${f.name} uses a non-base unit`);
  }
  return [...families.values()];
}

/** The value of one series (labels must match exactly the given subset); undefined when absent. */
export function sampleValue(families: readonly PromFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
