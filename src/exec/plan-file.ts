/**
 * Plan files: `--plan-out FILE` writes a Plan (src/domain/plan.ts) and `coder-agents apply FILE`
 * reads one back.
 *
 * Writing: the plan goes to a temporary file next to FILE (created 0600, never through a symbolic
 * link), is flushed, then renamed over FILE, so a reader never sees half a plan and a link planted
 * at FILE is replaced, not followed. A missing directory is created 0700. Nothing secret is in a
 * plan (see src/domain/plan.ts); the run's redaction is applied anyway.
 *
 * Reading: bad JSON, another kind of document, another version or a malformed step is a usage
 * error (exit 2) that names the problem.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, lstatSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { PLAN_KIND, PLAN_VERSION, planSchema, type Plan } from "../domain/plan.js";
import { UsageError } from "../errors.js";
import { ensurePrivateDir, openNoFollow } from "./journal.js";

/** A plan file larger than this is refused before parsing (about 100,000 steps). */
export const MAX_PLAN_FILE_BYTES = 256 * 1024 * 1024;

/** Writes `plan` to `path` atomically (tmp + rename). Throws UsageError naming --plan-out on failure. */
export function writePlanFile(path: string, plan: Plan, redact: <T>(v: T) => T = (v) => v): void {
  const dir = dirname(path);
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  let fd: number | null = null;
  // Only a regular file (or a link, which is replaced, not followed) is ever replaced: never a
  // directory, device, FIFO or socket that happens to be at the path.
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
    throw new UsageError(`--plan-out ${path}: not a regular file; refusing to replace it (nothing was stopped or started)`);
  }
  try {
    if (!existsSync(dir)) ensurePrivateDir(dir, true);
    fd = openNoFollow(tmp, "plan file");
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify(redact(plan), null, 2) + "\n");
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was created there */
    }
    throw new UsageError(`--plan-out ${path}: the plan could not be written (${(err as Error).message}); nothing was stopped or started`);
  }
}

/** Reads and validates a plan file. Every problem is a UsageError (exit 2) that says what is wrong. */
export function readPlanFile(path: string): Plan {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.size > MAX_PLAN_FILE_BYTES) throw new Error(`larger than ${MAX_PLAN_FILE_BYTES} bytes`);
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`plan file ${path}: cannot be read (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`plan file ${path}: not valid JSON (${(err as Error).message}); write one with --plan-out`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`plan file ${path}: expected a JSON object with kind "${PLAN_KIND}"`);
  }
  const o = doc as Record<string, unknown>;
  if (o.kind !== PLAN_KIND) {
    throw new UsageError(`plan file ${path}: kind is ${JSON.stringify(o.kind ?? null)}, expected "${PLAN_KIND}" (is this a plan written by --plan-out?)`);
  }
  if (o.version !== PLAN_VERSION) {
    throw new UsageError(`plan file ${path}: plan version ${JSON.stringify(o.version ?? null)} is not supported (this coder-agents reads version ${PLAN_VERSION}); make the plan again with this version`);
  }
  const parsed = planSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new UsageError(`plan file ${path}: not a valid plan (${issues})`);
  }
  return parsed.data;
}
