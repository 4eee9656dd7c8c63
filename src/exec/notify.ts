/**
 * Notifications: Slack and Microsoft Teams incoming webhooks and SMTP mail.
 *
 * Two kinds of notice: a warning `notifications.notification_threshold_minutes` before
 * workspaces' quiet-hours stops, and a summary after an execute run. A failed delivery is a
 * result (`ok: false`, exit 5 for the run), never an exception and never a reason not to stop.
 * Webhook URLs are secrets (they embed the credential): they are never logged or printed, only
 * their host.
 */
import type { DateTime } from "luxon";
import type { AgentsConfig } from "../config/schema.js";
import { formatDuration, formatInstant } from "../output/format.js";
import { sendMail, type SmtpOptions } from "./notify-smtp.js";
import { retry } from "../util/retry.js";
import type { StopResult, StopRun } from "./types.js";

export type NotificationsConfig = AgentsConfig["notifications"];
export type Channel = "slack" | "teams" | "email";
export type NoticeKind = "warning" | "summary";

/** A message, rendered per channel. `lines` are plain text (one item per line). */
export interface Notice {
  kind: NoticeKind;
  title: string;
  lines: string[];
}

/** The outcome of one delivery, reported in the command's JSON under `notifications`. */
export interface NotificationResult {
  channel: Channel;
  kind: NoticeKind;
  ok: boolean;
  /** Where it went, without secrets: the webhook's host, or the mail recipients. */
  target: string;
  error: string | null;
}

export type WebhookFetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  status: number;
  text(): Promise<string>;
  headers: { get(name: string): string | null };
}>;

export interface NotifyDeps {
  fetch: WebhookFetch;
  /** Reads smtp.password_file. */
  readFile: (path: string) => string;
  /** The wall clock (mail Date header). */
  now: () => Date;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Replaces the SMTP transport (tests). */
  sendMail?: typeof sendMail;
  /** Extra CA certificates for the SMTP relay (PEM). */
  smtpCa?: string | string[];
}

/** The channels this configuration sends to (in a fixed order). */
export function channelsOf(n: NotificationsConfig): Channel[] {
  const out: Channel[] = [];
  if (n.slack_webhook.trim()) out.push("slack");
  if (n.teams_webhook.trim()) out.push("teams");
  if (n.email_enabled) out.push("email");
  return out;
}

const MAX_LINES = 50;

function capped(lines: string[]): string[] {
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`];
}

/** Slack incoming-webhook payload: mrkdwn text, title in bold. */
export function slackPayload(n: Notice): { text: string } {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return { text: [`*${esc(n.title)}*`, ...capped(n.lines).map(esc)].join("\n") };
}

/**
 * Teams payload: a message with one Adaptive Card, the format both Teams Workflows webhooks and
 * the older Office 365 connector webhooks accept.
 */
export function teamsPayload(n: Notice): Record<string, unknown> {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: n.title, weight: "Bolder", size: "Medium", wrap: true },
            ...capped(n.lines).map((l) => ({ type: "TextBlock", text: l, wrap: true, spacing: "Small" })),
          ],
        },
      },
    ],
  };
}

/** The mail rendering: subject and plain-text body. */
export function mailContent(n: Notice): { subject: string; text: string } {
  return { subject: n.title, text: [n.title, "", ...capped(n.lines), "", "-- ", "coder-agents"].join("\n") + "\n" };
}

/** The host of a webhook URL, safe to print. */
export function webhookTarget(url: string): string {
  try {
    return new URL(url).host || "(invalid URL)";
  } catch {
    return "(invalid URL)";
  }
}

async function postWebhook(url: string, payload: unknown, deps: NotifyDeps): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("the webhook URL is not a valid URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error(`the webhook URL must be https:// (got ${parsed.protocol})`);
  const body = JSON.stringify(payload);
  // One retry on a network error, 429 or 5xx: a duplicate message is harmless, a lost one is not.
  await retry(
    async () => {
      let res: Awaited<ReturnType<WebhookFetch>>;
      try {
        res = await deps.fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body, signal: AbortSignal.timeout(deps.timeoutMs) });
      } catch (err) {
        const e = err as Error;
        throw new WebhookError(e.name === "TimeoutError" ? `no answer within ${Math.round(deps.timeoutMs / 1000)}s` : describeNetworkError(e), true, 1000);
      }
      const retryAfter = res.headers.get("retry-after");
      const text = await res.text().catch(() => "");
      if (res.status >= 200 && res.status < 300) return;
      throw new WebhookError(
        `HTTP ${res.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, " ").trim()}` : ""}`,
        res.status === 429 || res.status >= 500,
        Math.min(5000, Math.max(1000, Number(retryAfter) * 1000 || 0)),
      );
    },
    { maxAttempts: 2, retryable: (e) => e instanceof WebhookError && e.retryable, delayMs: (e) => (e as WebhookError).waitMs, sleep: (ms) => deps.sleep(ms) },
  );
}

/** A failed webhook delivery: whether another attempt may help, and after how long. */
class WebhookError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly waitMs: number,
  ) {
    super(message);
  }
}

function describeNetworkError(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return cause?.message ? `${e.message} (${cause.message})` : e.message;
}

/** The SMTP options from the config (the password read from `password_file`). */
export function smtpOptions(n: NotificationsConfig, deps: NotifyDeps): SmtpOptions {
  const s = n.smtp;
  let password: string | undefined;
  if (s.username && s.password_file) {
    try {
      password = deps.readFile(s.password_file).replace(/\r?\n$/, "");
    } catch (err) {
      throw new Error(`notifications.smtp.password_file ${s.password_file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return {
    host: s.host,
    port: s.port,
    secure: s.secure,
    starttls: s.starttls,
    ...(s.username ? { username: s.username } : {}),
    ...(password !== undefined ? { password } : {}),
    from: s.from,
    to: s.to,
    timeoutMs: deps.timeoutMs,
    ...(deps.smtpCa ? { ca: deps.smtpCa } : {}),
  };
}

/**
 * Send `notice` to every configured channel, concurrently. Never throws: each channel's outcome is
 * a NotificationResult.
 */
export async function deliver(n: NotificationsConfig, notice: Notice, deps: NotifyDeps): Promise<NotificationResult[]> {
  const send = async (channel: Channel): Promise<NotificationResult> => {
    const base = { channel, kind: notice.kind };
    if (channel === "email") {
      const target = n.smtp.to.join(", ") || "(no recipients)";
      try {
        const opts = smtpOptions(n, deps);
        await (deps.sendMail ?? sendMail)(opts, { ...mailContent(notice), date: deps.now() });
        return { ...base, ok: true, target, error: null };
      } catch (err) {
        return { ...base, ok: false, target, error: (err as Error).message };
      }
    }
    const url = channel === "slack" ? n.slack_webhook.trim() : n.teams_webhook.trim();
    const target = webhookTarget(url);
    try {
      await postWebhook(url, channel === "slack" ? slackPayload(notice) : teamsPayload(notice), deps);
      return { ...base, ok: true, target, error: null };
    } catch (err) {
      // The message never contains the URL (fetch errors name only the cause), so it is safe.
      return { ...base, ok: false, target, error: (err as Error).message.split(url).join(target) };
    }
  };
  return Promise.all(channelsOf(n).map(send));
}

/** One workspace about to be stopped by quiet hours, for the warning. */
export interface UpcomingStop {
  id: string;
  owner: string;
  name: string;
  template: string;
  /** When the stop is due (ISO UTC). */
  due_at: string;
  /** A `warn` policy's workspace: due now, warned about instead of stopped (the policy's name). */
  warn_policy?: string;
}

/** The warning notice for workspaces whose quiet-hours stop is near. */
export function warningNotice(items: readonly UpcomingStop[], now: DateTime, zone: string): Notice {
  const sorted = [...items].sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at) || `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
  const n = sorted.length;
  return {
    kind: "warning",
    title: `⏰ Quiet hours: ${n} workspace${n === 1 ? "" : "s"} will be stopped soon`,
    lines: [
      ...sorted.map((w) => {
        if (w.warn_policy) return `• ${w.owner}/${w.name} (${w.template}) — policy ${w.warn_policy} (warn only): due since ${formatInstant(w.due_at, zone)}; not stopped`;
        const left = Math.max(0, Math.round((Date.parse(w.due_at) - now.toMillis()) / 1000));
        return `• ${w.owner}/${w.name} (${w.template}) — stops at ${formatInstant(w.due_at, zone)} (in ${formatDuration(left)})`;
      }),
      sorted.every((w) => w.warn_policy)
        ? "These workspaces are outside their policy's working time or idle; their policy only warns. Stop them when you are done."
        : "Save your work: running workspaces are stopped when the grace period ends.",
    ],
  };
}

function resultLine(r: StopResult, verb: string): string {
  const ws = `${r.owner}/${r.name}`;
  switch (r.outcome) {
    case "failed":
      return `❌ ${ws} — failed: ${r.error ?? "unknown error"}`;
    case "skipped":
      return `⏭️ ${ws} — skipped${r.error ? `: ${r.error}` : ""}`;
    default:
      return `✅ ${ws} — ${verb}${r.reasons.length ? ` (${r.reasons.join("; ")})` : ""}`;
  }
}

/**
 * The summary notice after an execute run of `command` (quiet-hours, autostop, prune, rollback).
 * `verb` is what success means ("stopped", "started").
 */
export function summaryNotice(command: string, run: Pick<StopRun, "run_id" | "results" | "summary" | "interrupted">, verb = "stopped"): Notice {
  const s = run.summary;
  const parts = [`${s.succeeded} ${verb}`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  const icon = s.failed ? "⚠️" : verb === "started" ? "↩️" : "🛑";
  const order = { failed: 0, stopped: 1, "would-stop": 1, skipped: 2 } as Record<string, number>;
  const results = [...run.results].sort((a, b) => (order[a.outcome] ?? 1) - (order[b.outcome] ?? 1) || `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
  return {
    kind: "summary",
    title: `${icon} coder-agents ${command}: ${parts.join(", ")} of ${s.planned} planned`,
    lines: [
      ...results.map((r) => resultLine(r, verb)),
      ...(run.interrupted ? [`Interrupted by ${run.interrupted}: the remaining workspaces were not touched.`] : []),
      `Run ${run.run_id}${verb === "stopped" ? ` — undo with: coder-agents rollback --run ${run.run_id} --execute` : ""}`,
    ],
  };
}

/** Whether any delivery failed (the run's exit code becomes 5). */
export function anyFailed(results: readonly NotificationResult[]): boolean {
  return results.some((r) => !r.ok);
}

/** Human lines for the command output, e.g. "📣 Notification sent: slack (hooks.slack.com)". */
export function describeResults(results: readonly NotificationResult[]): string[] {
  return results.map((r) =>
    r.ok ? `📣 Notification sent (${r.kind}): ${r.channel} → ${r.target}` : `❌ Notification failed (${r.kind}): ${r.channel} → ${r.target}: ${r.error}`,
  );
}
