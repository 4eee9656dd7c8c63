import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import {
  anyFailed,
  channelsOf,
  deliver,
  slackPayload,
  summaryNotice,
  teamsPayload,
  warningNotice,
  webhookTarget,
  type NotificationsConfig,
  type NotifyDeps,
} from "../../src/exec/notify.js";
import { isLoopback, sendMail, SmtpError } from "../../src/exec/notify-smtp.js";
import type { StopResult } from "../../src/exec/types.js";
import { realNotifyDeps } from "../../src/cli/deps.js";
import { startSmtp, TEST_TLS_CERT, type TestSmtp } from "../support/smtp.js";
import { payloadText, startWebhook, type TestWebhook } from "../support/webhook.js";

const now = DateTime.fromISO("2026-01-05T18:35:00Z", { zone: "utc" });

function cfg(over: Partial<NotificationsConfig> = {}, smtp: Partial<NotificationsConfig["smtp"]> = {}): NotificationsConfig {
  return { ...DEFAULT_CONFIG.notifications, ...over, smtp: { ...DEFAULT_CONFIG.notifications.smtp, ...smtp } };
}

function deps(over: Partial<NotifyDeps> = {}): NotifyDeps {
  return { ...realNotifyDeps({ fetch: (url, init) => fetch(url, init), clock: () => now, sleep: async () => {}, timeoutMs: 5000, resolvePath: (p) => p }), ...over };
}

const result = (name: string, outcome: StopResult["outcome"], error: string | null = null): StopResult => ({
  id: `id-${name}`,
  owner: "alice",
  name,
  template: "python-dev",
  organization: "engineering",
  status: "running",
  reasons: outcome === "stopped" ? ["Quiet hours policy"] : [],
  outcome,
  error,
  build_id: null,
});

describe("notices", () => {
  it("warning lists each workspace with its stop time in the policy zone and time left, soonest first", () => {
    const n = warningNotice(
      [
        { id: "2", owner: "bob", name: "api", template: "go", due_at: "2026-01-05T19:00:00Z" },
        { id: "1", owner: "alice", name: "dev", template: "python-dev", due_at: "2026-01-05T18:50:00Z" },
      ],
      now,
      "Europe/London",
    );
    expect(n.title).toBe("⏰ Quiet hours: 2 workspaces will be stopped soon");
    expect(n.lines[0]).toBe("• alice/dev (python-dev) — stops at 2026-01-05 18:50 GMT (in 15m)");
    expect(n.lines[1]).toContain("bob/api (go) — stops at 2026-01-05 19:00 GMT (in 25m)");
  });

  it("summary counts outcomes, lists failures first and names the run for rollback", () => {
    const n = summaryNotice("quiet-hours", {
      run_id: "r-1",
      interrupted: null,
      results: [result("a", "stopped"), result("b", "failed", "HTTP 500"), result("c", "skipped", "already stopped")],
      summary: { planned: 3, succeeded: 1, skipped: 1, failed: 1 },
    });
    expect(n.title).toBe("⚠️ coder-agents quiet-hours: 1 stopped, 1 failed, 1 skipped of 3 planned");
    expect(n.lines[0]).toBe("❌ alice/b — failed: HTTP 500");
    expect(n.lines[1]).toBe("✅ alice/a — stopped (Quiet hours policy)");
    expect(n.lines[2]).toBe("⏭️ alice/c — skipped: already stopped");
    expect(n.lines.at(-1)).toContain("coder-agents rollback --run r-1 --execute");
  });

  it("Slack payload escapes mrkdwn control characters; Teams payload is an Adaptive Card message", () => {
    const n = { kind: "summary" as const, title: "T <b>", lines: ["a & b"] };
    expect(slackPayload(n)).toEqual({ text: "*T &lt;b&gt;*\na &amp; b" });
    const t = teamsPayload(n);
    expect(t.type).toBe("message");
    expect(payloadText(t)).toBe("T <b>\na & b");
  });

  it("long lists are capped", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    expect(slackPayload({ kind: "warning", title: "t", lines }).text).toContain("… and 10 more");
  });

  it("channelsOf and webhookTarget never expose the webhook path", () => {
    expect(channelsOf(cfg())).toEqual([]);
    expect(channelsOf(cfg({ slack_webhook: "https://hooks.slack.com/x", teams_webhook: " ", email_enabled: true }))).toEqual(["slack", "email"]);
    expect(webhookTarget("https://hooks.slack.com/services/T000/B000/SECRET")).toBe("hooks.slack.com");
    expect(webhookTarget("not a url")).toBe("(invalid URL)");
  });
});

describe("webhook delivery", () => {
  let hook: TestWebhook;
  beforeAll(async () => {
    hook = await startWebhook({ "/broken": 404, "/flaky": 503 });
  });
  afterAll(() => hook.close());

  it("posts to Slack and Teams and reports each channel", async () => {
    const n = { kind: "warning" as const, title: "hello", lines: ["x"] };
    const res = await deliver(cfg({ slack_webhook: `${hook.url}/slack`, teams_webhook: `${hook.url}/teams` }), n, deps());
    expect(res.map((r) => [r.channel, r.ok, r.target])).toEqual([
      ["slack", true, hook.url.replace("http://", "")],
      ["teams", true, hook.url.replace("http://", "")],
    ]);
    expect(hook.to("/slack")[0]!.body).toEqual({ text: "*hello*\nx" });
    expect(hook.to("/slack")[0]!.headers["content-type"]).toBe("application/json");
    expect(payloadText(hook.to("/teams")[0]!.body)).toBe("hello\nx");
  });

  it("a failing webhook is a result, not an exception; 5xx is retried once; 4xx is not", async () => {
    const n = { kind: "summary" as const, title: "t", lines: [] };
    const res = await deliver(cfg({ slack_webhook: `${hook.url}/broken`, teams_webhook: `${hook.url}/flaky` }), n, deps());
    expect(anyFailed(res)).toBe(true);
    expect(res[0]).toMatchObject({ channel: "slack", ok: false, error: "HTTP 404: invalid_token" });
    expect(res[1]).toMatchObject({ channel: "teams", ok: false, error: "HTTP 503: invalid_token" });
    expect(hook.to("/broken")).toHaveLength(1);
    expect(hook.to("/flaky")).toHaveLength(2);
  });

  it("an unreachable webhook names the cause, never the URL", async () => {
    const { createServer } = await import("node:net");
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const res = await deliver(cfg({ slack_webhook: `http://127.0.0.1:${port}/services/SECRET` }), { kind: "summary", title: "t", lines: [] }, deps());
    expect(res[0]!.ok).toBe(false);
    expect(res[0]!.error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(res)).not.toContain("SECRET");
  });
});

describe("SMTP", () => {
  let plain: TestSmtp;
  let tls: TestSmtp;
  beforeAll(async () => {
    plain = await startSmtp({ auth: { user: "bot", pass: "pw" } });
    tls = await startSmtp({ starttls: true, auth: { user: "bot", pass: "s3cret" } });
  });
  afterAll(async () => {
    await plain.close();
    await tls.close();
  });

  const base = { host: "127.0.0.1", secure: false, from: "Coder Agents <agents@example.com>", to: ["ops@example.com", "oncall@example.com"], timeoutMs: 5000 };
  const msg = { subject: "⏰ Quiet hours: 1 workspace", text: "line 1\n.line starting with a dot\nünïcode", date: new Date("2026-01-05T18:35:00Z") };

  it("sends over STARTTLS with AUTH PLAIN to every recipient, UTF-8 subject and body intact", async () => {
    await sendMail({ ...base, port: tls.port, starttls: true, username: "bot", password: "s3cret", ca: TEST_TLS_CERT }, msg);
    const m = tls.messages[0]!;
    expect(m.tls).toBe(true);
    expect(m.authUser).toBe("bot");
    expect(m.from).toBe("agents@example.com");
    expect(m.to).toEqual(["ops@example.com", "oncall@example.com"]);
    expect(m.subject).toBe(msg.subject);
    expect(m.text).toBe("line 1\r\n.line starting with a dot\r\nünïcode");
    expect(m.raw).toMatch(/^Date: Mon, 05 Jan 2026 18:35:00 \+0000$/m);
  });

  it("discards replies received in the clear before the TLS handshake (injected after the STARTTLS 220)", async () => {
    const mitm = await startSmtp({ starttls: true, auth: { user: "bot", pass: "s3cret" }, injectAfterStarttls: ["250-injected.example", "250 AUTH PLAIN"] });
    try {
      await sendMail({ ...base, port: mitm.port, starttls: true, username: "bot", password: "s3cret", ca: TEST_TLS_CERT }, msg);
      expect(mitm.messages).toHaveLength(1);
      expect(mitm.messages[0]!.tls).toBe(true);
      expect(mitm.messages[0]!.authUser).toBe("bot");
      // Every reply was matched to its own command: EHLO twice, then AUTH, MAIL, RCPT×2, DATA (a QUIT may follow).
      expect(mitm.commands.map((c) => c.split(" ")[0]).slice(0, 8)).toEqual(["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA"]);
    } finally {
      await mitm.close();
    }
  });

  it("refuses to continue when STARTTLS is required but not offered", async () => {
    await expect(sendMail({ ...base, port: plain.port, starttls: true }, msg)).rejects.toThrow(/does not offer STARTTLS/);
  });

  it("rejects an untrusted certificate", async () => {
    await expect(sendMail({ ...base, port: tls.port, starttls: true }, msg)).rejects.toThrow(/certificate/i);
  });

  it("reports the server's answer on bad credentials", async () => {
    const err = await sendMail({ ...base, port: plain.port, starttls: false, username: "bot", password: "wrong" }, msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect((err as Error).message).toBe("SMTP AUTH PLAIN: 535 5.7.8 Authentication credentials invalid");
    expect((err as Error).message).not.toContain("wrong");
  });

  it("sends credentials over a plain connection only to a loopback relay", async () => {
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback("127.0.0.53")).toBe(true);
    expect(isLoopback("smtp.example.com")).toBe(false);
    expect(isLoopback("10.0.0.1")).toBe(false);
    await expect(sendMail({ ...base, host: "localhost", port: plain.port, starttls: false, username: "bot", password: "pw" }, msg)).resolves.toBeUndefined();
  });

  it("deliver() reads the password file and reports email failures as results", async () => {
    const n = { kind: "summary" as const, title: "Run summary", lines: ["✅ alice/dev — stopped"] };
    const ok = await deliver(
      cfg({ email_enabled: true }, { host: "127.0.0.1", port: plain.port, starttls: false, username: "bot", password_file: "/pw", from: "a@x", to: ["b@x"] }),
      n,
      deps({ readFile: () => "pw\n" }),
    );
    expect(ok).toEqual([{ channel: "email", kind: "summary", ok: true, target: "b@x", error: null }]);
    expect(plain.messages.at(-1)!.text).toContain("✅ alice/dev — stopped");
    const bad = await deliver(cfg({ email_enabled: true }, { host: "", to: ["b@x"] }), n, deps());
    expect(bad[0]).toMatchObject({ ok: false, error: "notifications.smtp.host is empty" });
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/nope'"), { code: "ENOENT" });
    const noPw = await deliver(
      cfg({ email_enabled: true }, { host: "127.0.0.1", port: plain.port, starttls: false, username: "bot", password_file: "/nope", from: "a@x", to: ["b@x"] }),
      n,
      deps({ readFile: () => { throw missing; } }),
    );
    expect(noPw[0]).toMatchObject({ channel: "email", ok: false });
    expect(noPw[0]!.error).toMatch(/notifications\.smtp\.password_file \/nope: cannot be read \(ENOENT\)/);
  });

  it("encodes non-ASCII display names and subjects: the raw message decodes to the same text", async () => {
    const subject = "🛑 coder-agents quiet-hours — 3 stopped, Zoë’s dev included";
    const from = "Zoë Ångström <zoe@example.com>";
    await sendMail({ ...base, port: tls.port, starttls: true, username: "bot", password: "s3cret", ca: TEST_TLS_CERT, from }, { ...msg, subject, text: ".\n..\nÅngström — done" });
    const m = tls.messages.at(-1)!;
    // Nothing but ASCII on the wire in the headers: the names travel as RFC 2047 encoded words.
    const head = m.raw.slice(0, m.raw.indexOf("\r\n\r\n"));
    expect(/^[\x20-\x7e\r\n\t]*$/.test(head)).toBe(true);
    expect(head).toMatch(/=\?UTF-8\?[BQ]\?/i);
    expect(m.subject).toBe(subject);
    expect(m.headers.from).toBe("Zoë Ångström <zoe@example.com>");
    expect(m.from).toBe("zoe@example.com");
    expect(m.headers["auto-submitted"]).toBe("auto-generated");
    // Lines of dots are data, not the end of DATA.
    expect(m.text).toBe(".\r\n..\r\nÅngström — done");
    // The same for a plain-ASCII body (sent as 7bit, dot-stuffed on the wire).
    await sendMail({ ...base, port: tls.port, starttls: true, username: "bot", password: "s3cret", ca: TEST_TLS_CERT }, { ...msg, text: ".\n..\nend" });
    expect(tls.messages.at(-1)!.text).toBe(".\r\n..\r\nend\r\n");
  });

  it("STARTTLS required but not offered: fails with a clear reason before any credential or message is sent", async () => {
    const before = plain.commands.length;
    const sent = plain.messages.length;
    const err = await sendMail({ ...base, port: plain.port, starttls: true, username: "bot", password: "pw" }, msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect((err as Error).message).toMatch(new RegExp(`^SMTP 127\\.0\\.0\\.1:${plain.port} does not offer STARTTLS .*nothing was sent`));
    const cmds = plain.commands.slice(before).map((c) => c.split(" ")[0]);
    expect(cmds).toContain("STARTTLS");
    expect(cmds).not.toContain("AUTH");
    expect(cmds).not.toContain("MAIL");
    expect(plain.commands.slice(before).join("\n")).not.toContain(Buffer.from("\0bot\0pw").toString("base64"));
    expect(plain.messages).toHaveLength(sent);
    // Through deliver(): a failed notification with that reason, not an exception.
    const res = await deliver(
      cfg({ email_enabled: true }, { host: "127.0.0.1", port: plain.port, starttls: true, username: "bot", password_file: "/pw", from: "a@x", to: ["b@x"] }),
      { kind: "summary", title: "t", lines: [] },
      deps({ readFile: () => "pw\n" }),
    );
    expect(res).toEqual([{ channel: "email", kind: "summary", ok: false, target: "b@x", error: expect.stringMatching(/does not offer STARTTLS/) }]);
    expect(plain.commands.slice(before).map((c) => c.split(" ")[0])).not.toContain("AUTH");
  });

  it("a username without a password is a clear configuration error, before connecting", async () => {
    await expect(sendMail({ ...base, port: plain.port, starttls: false, username: "bot" }, msg)).rejects.toThrow(
      "notifications.smtp.username is set but there is no password: set notifications.smtp.password_file (a file holding the password)",
    );
  });

  it("refuses credentials over a plain connection to a relay that is not loopback, before connecting", async () => {
    await expect(sendMail({ ...base, host: "smtp.invalid", port: 25, starttls: false, username: "bot", password: "pw" }, msg)).rejects.toThrow(
      "refusing to send SMTP credentials to smtp.invalid over an unencrypted connection (enable smtp.starttls or smtp.secure)",
    );
  });

  it("implicit TLS (secure) with the relay's certificate checked", async () => {
    const smtps = await startSmtp({ implicitTls: true, auth: { user: "bot", pass: "s3cret" } });
    try {
      await sendMail({ ...base, host: "localhost", port: smtps.port, secure: true, starttls: false, username: "bot", password: "s3cret", ca: TEST_TLS_CERT }, msg);
      expect(smtps.messages).toHaveLength(1);
      expect(smtps.messages[0]!).toMatchObject({ tls: true, authUser: "bot" });
      expect(smtps.commands.map((c) => c.split(" ")[0])).not.toContain("STARTTLS");
      await expect(sendMail({ ...base, host: "localhost", port: smtps.port, secure: true, starttls: false }, msg)).rejects.toThrow(/certificate/i);
    } finally {
      await smtps.close();
    }
  });

  it("gives up after the timeout when the relay never answers", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      await expect(sendMail({ ...base, port, starttls: true, timeoutMs: 300 }, msg)).rejects.toThrow(`SMTP 127.0.0.1:${port}: no answer within 0s`);
    } finally {
      silent.close();
    }
  });
});
