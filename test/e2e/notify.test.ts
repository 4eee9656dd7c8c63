import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/exec/journal.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { startSmtp, type TestSmtp } from "../support/smtp.js";
import { payloadText, startWebhook, type TestWebhook } from "../support/webhook.js";

/**
 * Quiet hours 18:00–08:00 Europe/London (GMT in January), grace 1 h, warnings 30 min ahead.
 * At 18:40 "early" (running since before the window) is due at 19:00, "late" (started 18:35,
 * its own grace) at 19:35.
 */
function scenario() {
  return miniScenario({
    clock: "2026-01-05T18:40:00Z",
    workspaces: [
      { name: "early", owner: "alice", template: "python-dev", status: "running" as const, started_at: "-3h", deadline: "+5h" },
      { name: "late", owner: "alice", template: "python-dev", status: "running" as const, started_at: "-5m", deadline: "+8h" },
    ],
  });
}

interface Doc {
  exit?: number;
  notifications: { channel: string; kind: string; ok: boolean; error: string | null }[];
  stop_warnings: { warned: { name: string }[]; already_warned: number };
  summary: { succeeded: number };
}

describe("notifications (webhooks and SMTP) around quiet-hours stops", () => {
  let sim: TestSim;
  let hook: TestWebhook;
  let smtp: TestSmtp;
  let dir: string;
  beforeAll(async () => {
    [sim, hook, smtp] = await Promise.all([startSim(scenario()), startWebhook({ "/broken": 500 }), startSmtp()]);
    dir = scratchDir();
  });
  afterAll(async () => {
    await Promise.all([sim.close(), hook.close(), smtp.close()]);
  });

  const config = (name: string, slack: string) =>
    writeConfig(
      dir,
      {
        quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
        notifications: {
          slack_webhook: `${hook.url}${slack}`,
          teams_webhook: `${hook.url}/teams`,
          email_enabled: true,
          notification_threshold_minutes: 30,
          smtp: { host: "127.0.0.1", port: smtp.port, starttls: false, from: "coder-agents@example.com", to: ["ops@example.com"] },
        },
        journal: { path: join(dir, "journal.ndjson") },
      },
      name,
    );
  const qh = (now: string, cfg: string, extra: string[] = []) =>
    runCli(["quiet-hours", "--execute", "--json", "--url", sim.url, "--config", cfg, "--now", now, ...extra], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });

  it("warns once per window before the stop, then sends the summary after stopping", async () => {
    const cfg = config("ok.json", "/slack");

    // A dry run says whom it would warn and sends nothing.
    const dry = await qh("2026-01-05T18:40:00Z", cfg, ["--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json<Doc>().stop_warnings.warned.map((w) => w.name)).toEqual(["early"]);
    expect(hook.requests).toHaveLength(0);

    // 18:40: "early" is due at 19:00 (within 30 min): warned on every channel; "late" is not yet.
    const r1 = await qh("2026-01-05T18:40:00Z", cfg);
    expect(r1.code, r1.stderr).toBe(0);
    const d1 = r1.json<Doc>();
    expect(d1.notifications.map((n) => [n.channel, n.kind, n.ok])).toEqual([
      ["slack", "warning", true],
      ["teams", "warning", true],
      ["email", "warning", true],
    ]);
    const slack1 = payloadText(hook.to("/slack")[0]!.body);
    expect(slack1).toContain("⏰ Quiet hours: 1 workspace will be stopped soon");
    expect(slack1).toContain("alice/early (python-dev) — stops at 2026-01-05 19:00 GMT (in 20m)");
    expect(slack1).not.toContain("alice/late");
    expect(payloadText(hook.to("/teams")[0]!.body)).toContain("alice/early");
    expect(smtp.messages[0]!.subject).toBe("⏰ Quiet hours: 1 workspace will be stopped soon");
    expect(smtp.messages[0]!.to).toEqual(["ops@example.com"]);

    // Same window, later run: no second warning for "early".
    const r2 = await qh("2026-01-05T18:45:00Z", cfg);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.json<Doc>().stop_warnings).toMatchObject({ warned: [], already_warned: 1 });
    expect(hook.to("/slack")).toHaveLength(1);

    // 19:10: "early" is stopped (summary), "late" (due 19:35) is warned.
    const r3 = await qh("2026-01-05T19:10:00Z", cfg);
    expect(r3.code, r3.stderr).toBe(0);
    const d3 = r3.json<Doc>();
    expect(d3.summary.succeeded).toBe(1);
    expect(d3.notifications.filter((n) => n.kind === "summary").map((n) => n.channel)).toEqual(["slack", "teams", "email"]);
    const texts = hook.to("/slack").map((r) => payloadText(r.body));
    expect(texts.find((t) => t.includes("coder-agents quiet-hours: 1 stopped of 1 planned"))).toContain("✅ alice/early — stopped");
    expect(texts.find((t) => t.includes("alice/late (python-dev) — stops at 2026-01-05 19:35 GMT (in 25m)"))).toBeTruthy();
    expect(smtp.messages.map((m) => m.subject)).toContain("🛑 coder-agents quiet-hours: 1 stopped of 1 planned");

    const notices = readJournal(join(dir, "journal.ndjson")).records.filter((r) => r.type === "notice");
    expect(notices.map((n) => (n.type === "notice" ? n.workspaces.map((w) => w.name) : []))).toEqual([["early"], ["late"]]);
  });

  it("a failing webhook gives exit 5, the stop still happens and the other channels still get it", async () => {
    const cfg = config("broken.json", "/broken");
    const before = hook.to("/teams").length;
    const r = await qh("2026-01-05T19:40:00Z", cfg); // "late" is due (19:35)
    expect(r.code).toBe(5);
    const d = r.json<Doc>();
    expect(d.summary.succeeded).toBe(1);
    const slack = d.notifications.find((n) => n.channel === "slack")!;
    expect(slack).toMatchObject({ kind: "summary", ok: false, error: "HTTP 500: invalid_token" });
    expect(d.notifications.find((n) => n.channel === "teams")!.ok).toBe(true);
    expect(hook.to("/teams").length).toBe(before + 1);
    expect(r.stderr).toContain("notification failed");
    expect(r.stderr).not.toContain("/broken");
    const late = await sim.workspace("alice/late");
    expect(late.builds.at(-1)).toMatchObject({ transition: "stop", reason: "cli" });
  });
});

describe("the SMTP library is loaded only when a mail is sent", () => {
  let sim: TestSim;
  let smtp: TestSmtp;
  let hook: TestWebhook;
  beforeAll(async () => {
    [sim, smtp, hook] = await Promise.all([startSim(scenario()), startSmtp(), startWebhook({})]);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), smtp.close(), hook.close()]);
  });

  /** Runs quiet-hours at 18:40 (a warning is due) with a module hook that records every import of nodemailer. */
  async function run(emailEnabled: boolean): Promise<{ loaded: boolean; doc: Doc }> {
    const dir = scratchDir();
    const marker = join(dir, "nodemailer-imports");
    const hooks = `import { appendFileSync } from "node:fs"; export async function resolve(s, c, n) { if (/nodemailer/.test(s)) appendFileSync(${JSON.stringify(marker)}, s + "\\n"); return n(s, c); }`;
    const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    writeFileSync(join(dir, "hooks.mjs"), register);
    const cfg = writeConfig(dir, {
      quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
      notifications: {
        slack_webhook: `${hook.url}/slack`,
        email_enabled: emailEnabled,
        notification_threshold_minutes: 30,
        smtp: { host: "127.0.0.1", port: smtp.port, starttls: false, from: "coder-agents@example.com", to: ["ops@example.com"] },
      },
      journal: { path: join(dir, "journal.ndjson") },
    });
    const r = await runCli(["quiet-hours", "--execute", "--json", "--url", sim.url, "--config", cfg, "--now", "2026-01-05T18:40:00Z"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken, NODE_OPTIONS: `--import ${join(dir, "hooks.mjs")}` },
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    return { loaded: existsSync(marker), doc: r.json<Doc>() };
  }

  it("a run without email never imports nodemailer; a run that mails does", async () => {
    const without = await run(false);
    expect(without.doc.notifications.map((n) => [n.channel, n.ok])).toEqual([["slack", true]]);
    expect(without.loaded).toBe(false);
    const withEmail = await run(true);
    expect(withEmail.doc.notifications.map((n) => [n.channel, n.ok])).toEqual([
      ["slack", true],
      ["email", true],
    ]);
    expect(withEmail.loaded).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  });
});
