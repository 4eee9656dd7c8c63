/**
 * Notification mail over SMTP, sent with nodemailer: one plain-text UTF-8 message to a few
 * recipients. nodemailer is imported only when a message is actually sent (email enabled), so a
 * run without email never loads it.
 *
 * What the configuration means here:
 * - `secure`: implicit TLS from the first byte (SMTPS, usually port 465).
 * - `starttls` (without `secure`): STARTTLS is required (nodemailer `requireTLS`). A relay that does
 *   not offer it is an error rather than a silent downgrade, and nothing (credentials least of all)
 *   is sent in the clear. Replies received in the clear after the STARTTLS answer are discarded.
 * - neither: a plain connection, never upgraded; credentials go over it only to a loopback relay.
 * - certificates are checked (against `ca` when given), with the relay's host name as SNI.
 * Non-ASCII display names and subjects are RFC 2047 encoded; the body is base64 UTF-8.
 */
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";

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
  /** The whole conversation's deadline (and each connect/greeting/idle wait's). */
  timeoutMs: number;
  /** Trusted CA certificates (PEM) for the relay, instead of Node's default roots. */
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

/** Loopback hosts, where credentials may go over a plain connection. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** What nodemailer attaches to its errors. */
interface NodemailerError extends Error {
  code?: string;
  command?: string;
  response?: string;
}

/** nodemailer's error as one clear line that names the relay and, when there is one, its answer. */
function describe(o: SmtpOptions, err: NodemailerError): SmtpError {
  const where = `SMTP ${o.host}:${o.port}`;
  const reply = typeof err.response === "string" ? err.response.replace(/\s+/g, " ").trim() : undefined;
  if (err.command === "STARTTLS" && reply) {
    return new SmtpError(
      `${where} does not offer STARTTLS (it answered "${reply}"); nothing was sent. Set notifications.smtp.secure for implicit TLS, or starttls false for a trusted plain relay`,
      reply,
    );
  }
  if (err.code === "ETIMEDOUT") return new SmtpError(`${where}: no answer within ${Math.round(o.timeoutMs / 1000)}s`);
  if (reply && err.command && err.command !== "CONN") return new SmtpError(`SMTP ${err.command}: ${reply}`, reply);
  return new SmtpError(`${where}: ${err.message.replace(/^Error initiating TLS - /, "TLS failed: ")}`, reply);
}

/** Send one message; resolves when the server accepted it for delivery (250 after DATA). */
export async function sendMail(o: SmtpOptions, m: MailMessage): Promise<void> {
  if (!o.host) throw new SmtpError("notifications.smtp.host is empty");
  if (!o.from) throw new SmtpError("notifications.smtp.from is empty");
  if (o.to.length === 0) throw new SmtpError("notifications.smtp.to is empty");
  if (o.username && !o.password) {
    throw new SmtpError("notifications.smtp.username is set but there is no password: set notifications.smtp.password_file (a file holding the password)");
  }
  const encrypted = o.secure || o.starttls;
  if (o.username && !encrypted && !isLoopback(o.host)) {
    throw new SmtpError(`refusing to send SMTP credentials to ${o.host} over an unencrypted connection (enable smtp.starttls or smtp.secure)`);
  }
  const { createTransport } = await import("nodemailer");
  const transport = createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    requireTLS: !o.secure && o.starttls,
    ignoreTLS: !o.secure && !o.starttls,
    name: o.clientName ?? (osHostname() || "coder-agents"),
    ...(o.username ? { auth: { user: o.username, pass: o.password ?? "" }, forceAuth: true } : {}),
    tls: { rejectUnauthorized: true, ...(isIP(o.host) ? {} : { servername: o.host }), ...(o.ca ? { ca: o.ca } : {}) },
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      transport.close();
      reject(new SmtpError(`SMTP ${o.host}:${o.port}: no answer within ${Math.round(o.timeoutMs / 1000)}s`));
    }, o.timeoutMs);
  });
  try {
    await Promise.race([
      transport
        .sendMail({
          from: o.from,
          to: o.to,
          subject: m.subject.replace(/[\r\n]+/g, " "),
          text: m.text.replace(/\r?\n/g, "\r\n"),
          date: m.date,
          textEncoding: "base64",
          headers: { "Auto-Submitted": "auto-generated" },
        })
        .catch((err: unknown) => {
          throw err instanceof SmtpError ? err : describe(o, err as NodemailerError);
        }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}
