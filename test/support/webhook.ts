/**
 * A loopback HTTP receiver standing in for Slack / Teams incoming webhooks: records every POST
 * (path and parsed JSON body) and answers with a configurable status per path.
 *
 *   const hook = await startWebhook({ "/fail": 500 });
 *   ... notifications.slack_webhook = `${hook.url}/slack` ...
 *   expect(hook.requests[0]!.body).toHaveProperty("text");
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface WebhookRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export interface TestWebhook {
  url: string;
  requests: WebhookRequest[];
  /** Requests to one path. */
  to(path: string): WebhookRequest[];
  close(): Promise<void>;
}

/** `statusByPath`: status to answer for a path (default 200 "ok"). */
export async function startWebhook(statusByPath: Record<string, number> = {}): Promise<TestWebhook> {
  const requests: WebhookRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString("utf8")));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { _raw: raw };
      }
      requests.push({ path, headers: req.headers, body });
      const status = statusByPath[path] ?? 200;
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status < 300 ? "ok" : "invalid_token");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of a Slack payload or every TextBlock of a Teams Adaptive Card, joined by newlines. */
export function payloadText(body: Record<string, unknown>): string {
  if (typeof body.text === "string") return body.text;
  const atts = (body.attachments ?? []) as { content?: { body?: { text?: string }[] } }[];
  return atts.flatMap((a) => (a.content?.body ?? []).map((b) => b.text ?? "")).join("\n");
}
