/**
 * Exit codes and the typed errors that map to them. This is the only place exit numbers
 * are written and turned into exit codes; everything else throws one of these errors or returns an
 * Outcome (the composition root, src/cli, sets the process's exit code from them).
 */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  Unreachable: 3,
  Auth: 4,
  Partial: 5,
  Findings: 6,
  SafetyAbort: 7,
  ApiShape: 8,
  Sigint: 130,
  Sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * How a command that ran to its end went. Commands return one of these (or throw one of the
 * errors below); only this file turns it into a number.
 */
const OUTCOME_EXIT = {
  /** Everything asked for was done (or reported). */
  ok: ExitCode.Ok,
  /** Some actions failed (a stop, the journal, a notification): exit 5. */
  partial: ExitCode.Partial,
  /** The findings gate matched (--fail-on): exit 6. */
  findings: ExitCode.Findings,
  /** A section asked for could not be read with this token: exit 4. */
  forbidden: ExitCode.Auth,
  /** Interrupted by a signal after in-flight work settled. */
  SIGINT: ExitCode.Sigint,
  SIGTERM: ExitCode.Sigterm,
} as const;
export type Outcome = keyof typeof OUTCOME_EXIT;

export function exitCodeForOutcome(outcome: Outcome): ExitCode {
  return OUTCOME_EXIT[outcome];
}

export abstract class AgentError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Stable machine-readable code, e.g. E_CONFIG. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flag, bad argument, unknown filter name. */
export class UsageError extends AgentError {
  readonly exitCode = ExitCode.Usage;
  readonly code: string = "E_USAGE";
}

/** A bug: a computation met a state it cannot handle (exit 1). */
export class InternalError extends AgentError {
  readonly exitCode = ExitCode.Internal;
  readonly code: string = "E_INTERNAL";
}

/** Invalid configuration file or environment override. */
export class ConfigError extends AgentError {
  readonly exitCode = ExitCode.Usage;
  readonly code = "E_CONFIG";
}

/** A circuit breaker tripped or the listing looked truncated: nothing was done. */
export class SafetyAbortError extends AgentError {
  readonly exitCode = ExitCode.SafetyAbort;
  readonly code: string = "E_SAFETY_ABORT";
}

/** The run was interrupted by a signal after in-flight work settled. */
export class InterruptedError extends AgentError {
  readonly exitCode: ExitCode;
  readonly code = "E_INTERRUPTED";
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super(`interrupted by ${signal}`);
    this.exitCode = signal === "SIGINT" ? ExitCode.Sigint : ExitCode.Sigterm;
  }
}

export interface CoderValidation {
  field: string;
  detail: string;
}

/** The Coder API answered with an error status. */
export class CoderApiError extends AgentError {
  readonly exitCode: ExitCode;
  readonly code: string;
  /** The server's Retry-After / X-RateLimit-Reset as a wait in ms, when it sent one (429/503). */
  retryAfterMs: number | undefined = undefined;
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly apiMessage: string,
    readonly detail?: string,
    readonly validations: CoderValidation[] = [],
  ) {
    super(CoderApiError.describe(status, method, path, apiMessage, detail, validations));
    if (status === 401 || status === 403) {
      this.exitCode = ExitCode.Auth;
      this.code = status === 401 ? "E_AUTH" : "E_FORBIDDEN";
    } else if (status === 429 || status >= 500) {
      this.exitCode = ExitCode.Unreachable;
      this.code = status === 429 ? "E_RATE_LIMITED" : "E_SERVER";
    } else {
      this.exitCode = ExitCode.Internal;
      this.code = `E_HTTP_${status}`;
    }
  }
  static describe(
    status: number,
    method: string,
    path: string,
    message: string,
    detail: string | undefined,
    validations: CoderValidation[],
  ): string {
    let s = `${method} ${path}: ${status} ${message}`;
    if (detail) s += ` (${detail})`;
    if (validations.length > 0) s += ` [${validations.map((v) => `${v.field}: ${v.detail}`).join("; ")}]`;
    if (status === 401) s += " — check the session token (--token-file, CODER_TOKEN or CODER_SESSION_TOKEN)";
    return s;
  }
}

/** Coder could not be reached, or kept failing after retries. */
export class UnreachableError extends AgentError {
  readonly exitCode = ExitCode.Unreachable;
  readonly code = "E_UNREACHABLE";
}

/** The Coder API answered with a body this version does not understand. */
export class ApiShapeError extends AgentError {
  readonly exitCode = ExitCode.ApiShape;
  readonly code = "E_API_SHAPE";
}

/**
 * The answer went beyond what any real Coder sends (a body larger than the bound, more rows than
 * the requested page `limit`, absurd nesting): reading stopped there, never holding it in memory.
 */
export class ResponseLimitError extends AgentError {
  readonly exitCode = ExitCode.ApiShape;
  readonly code = "E_RESPONSE_LIMIT";
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof AgentError ? err.exitCode : ExitCode.Internal;
}

export function errorCodeOf(err: unknown): string {
  return err instanceof AgentError ? err.code : "E_INTERNAL";
}
