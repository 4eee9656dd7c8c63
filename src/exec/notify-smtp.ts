/**
 * A minimal SMTP client for notification mail: one plain-text UTF-8 message to a few
 * recipients. Implicit TLS (`secure`, usually port 465) or STARTTLS (`starttls`, required when
 * set: a relay that does not offer it is an error rather than a silent downgrade), AUTH PLAIN or
 * LOGIN. Credentials are never sent over an unencrypted connection to a non-loopback host.
 * The body is base64 encoded, so no line can be mistaken for the end of DATA.
 */
import { randomUUID } from "node:crypto";
import { isIP, Socket, connect as netConnect } from "node:net";
import { hostname as osHostname } from "node:os";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (SMTPS, port 465). */
  secure: boolean;
  /** Upgrade with STARTTLS before anything else; fail when the server does not offer it. */
  starttls: boolean;
  username?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for the relay; the system roots and NODE_EXTRA_CA_CERTS apply anyway. */
  ca?: string | string[];
  /** The name this client announces in EHLO. */
  clientName?: string;
}

export interface MailMessage {
  subject: string;
  text: string;
  /** RFC 5322 Date header value's instant. */
  date: Date;
}

/** An SMTP conversation failed: `reply` is the server's last answer, if any. */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly reply?: string,
  ) {
    super(message);
    this.name = "SmtpError";
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads SMTP replies (possibly multi-line, `250-…` then `250 …`) from a socket. */
class ReplyReader {
  private buf = "";
  private lines: string[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private detach: () => void = () => {};

  attach(sock: Socket | TLSSocket): void {
    this.detach();
    // A new connection layer (after STARTTLS) starts clean: anything received before the
    // handshake, complete lines included, was sent in the clear and may have been injected.
    this.buf = "";
    this.lines = [];
    const onData = (d: Buffer) => {
      this.buf += d.toString("utf8");
      let i: number;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        this.lines.push(this.buf.slice(0, i).replace(/\r$/, ""));
        this.buf = this.buf.slice(i + 1);
      }
      this.pump();
    };
    const onError = (e: Error) => this.fail(e);
    const onClose = () => this.fail(new SmtpError("the SMTP server closed the connection"));
    sock.on("data", onData);
    sock.on("error", onError);
    sock.on("close", onClose);
    this.detach = () => {
      sock.off("data", onData);
      sock.off("error", onError);
      sock.off("close", onClose);
    };
  }

  fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }

  private pump(): void {
    if (!this.waiter) return;
    const end = this.lines.findIndex((l) => /^\d{3}(?: |$)/.test(l));
    if (end < 0) return;
    const lines = this.lines.splice(0, end + 1);
    const w = this.waiter;
    this.waiter = null;
    w.resolve({ code: Number(lines[end]!.slice(0, 3)), lines: lines.map((l) => l.slice(4)) });
  }

  next(): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  stop(): void {
    this.detach();
  }
}

/** Loopback hosts, where credentials may go over a plain connection. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
export function encodeHeader(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** The full RFC 5322 message: headers and a base64 UTF-8 text body, CRLF line ends. */
export function buildMessage(o: Pick<SmtpOptions, "from" | "to">, m: MailMessage, messageId = `<${randomUUID()}@coder-agents>`): string {
  const b64 = Buffer.from(m.text.replace(/\r?\n/g, "\r\n"), "utf8").toString("base64");
  const body = b64.match(/.{1,76}/g)?.join("\r\n") ?? "";
  const headers = [
    `From: ${o.from}`,
    `To: ${o.to.join(", ")}`,
    `Subject: ${encodeHeader(m.subject.replace(/[\r\n]+/g, " "))}`,
    `Date: ${m.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${messageId}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "Auto-Submitted: auto-generated",
  ];
  return `${headers.join("\r\n")}\r\n\r\n${body}\r\n`;
}

function angle(addr: string): string {
  const m = /<([^>]+)>/.exec(addr);
  return `<${(m ? m[1]! : addr).trim()}>`;
}

/** Send one message; resolves when the server accepted it for delivery (250 after DATA). */
export async function sendMail(o: SmtpOptions, m: MailMessage): Promise<void> {
  if (!o.host) throw new SmtpError("notifications.smtp.host is empty");
  if (!o.from) throw new SmtpError("notifications.smtp.from is empty");
  if (o.to.length === 0) throw new SmtpError("notifications.smtp.to is empty");
  const reader = new ReplyReader();
  let sock: Socket | TLSSocket | undefined;
  const tlsOpts = { servername: isIP(o.host) ? undefined : o.host, ...(o.ca ? { ca: o.ca } : {}) };
  // Errors surface through the reader or the connect promise; this keeps a late one from
  // becoming an uncaught exception after the conversation is over.
  const quiet = (s: Socket | TLSSocket) => s.on("error", () => {});
  const connected = new Promise<Socket | TLSSocket>((resolve, reject) => {
    const s: Socket | TLSSocket = o.secure
      ? tlsConnect({ host: o.host, port: o.port, ...tlsOpts }, () => resolve(s))
      : netConnect({ host: o.host, port: o.port }, () => resolve(s));
    s.once("error", reject);
    quiet(s);
    sock = s;
  });
  const timer = setTimeout(() => {
    const e = new SmtpError(`SMTP ${o.host}:${o.port}: no answer within ${Math.round(o.timeoutMs / 1000)}s`);
    reader.fail(e);
    sock?.destroy(e);
  }, o.timeoutMs);
  try {
    sock = await connected;
    reader.attach(sock);
    let current = sock;
    const expect = async (what: string, ok: number[]): Promise<Reply> => {
      const r = await reader.next();
      if (!ok.includes(r.code)) throw new SmtpError(`SMTP ${what}: ${r.code} ${r.lines.join(" ")}`.trim(), `${r.code} ${r.lines.join(" ")}`);
      return r;
    };
    const cmd = async (line: string, ok: number[], shown = line): Promise<Reply> => {
      current.write(`${line}\r\n`);
      return expect(shown, ok);
    };
    await expect("greeting", [220]);
    const name = o.clientName ?? osHostname() ?? "coder-agents";
    let caps = (await cmd(`EHLO ${name}`, [250])).lines.map((l) => l.toUpperCase());
    let encrypted = o.secure;
    if (!o.secure && o.starttls) {
      if (!caps.some((c) => c.startsWith("STARTTLS"))) {
        throw new SmtpError(
          `SMTP ${o.host}:${o.port} does not offer STARTTLS; set notifications.smtp.secure for implicit TLS, or starttls false for a trusted plain relay`,
        );
      }
      await cmd("STARTTLS", [220]);
      reader.stop();
      const plain = current;
      current = await new Promise<TLSSocket>((resolve, reject) => {
        const t = tlsConnect({ socket: plain as Socket, ...tlsOpts }, () => resolve(t));
        t.once("error", reject);
        quiet(t);
      });
      sock = current;
      reader.attach(current);
      encrypted = true;
      caps = (await cmd(`EHLO ${name}`, [250])).lines.map((l) => l.toUpperCase());
    }
    if (o.username) {
      if (!encrypted && !isLoopback(o.host)) {
        throw new SmtpError(`refusing to send SMTP credentials to ${o.host} over an unencrypted connection (enable smtp.starttls or smtp.secure)`);
      }
      const auth = caps.find((c) => c.startsWith("AUTH")) ?? "";
      const pass = o.password ?? "";
      if (/\bPLAIN\b/.test(auth) || !/\bLOGIN\b/.test(auth)) {
        const token = Buffer.from(`\0${o.username}\0${pass}`, "utf8").toString("base64");
        await cmd(`AUTH PLAIN ${token}`, [235], "AUTH PLAIN");
      } else {
        await cmd("AUTH LOGIN", [334]);
        await cmd(Buffer.from(o.username, "utf8").toString("base64"), [334], "AUTH LOGIN (username)");
        await cmd(Buffer.from(pass, "utf8").toString("base64"), [235], "AUTH LOGIN (password)");
      }
    }
    await cmd(`MAIL FROM:${angle(o.from)}`, [250]);
    for (const to of o.to) await cmd(`RCPT TO:${angle(to)}`, [250, 251]);
    await cmd("DATA", [354]);
    current.write(buildMessage(o, m));
    await cmd(".", [250], "end of DATA");
    current.write("QUIT\r\n");
    await reader.next().catch(() => undefined);
  } finally {
    clearTimeout(timer);
    reader.stop();
    sock?.destroy();
  }
}
