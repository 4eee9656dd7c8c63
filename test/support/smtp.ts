/**
 * A loopback SMTP receiver for tests: speaks enough ESMTP (EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL,
 * RCPT, DATA, QUIT) to accept notification mail and keeps every message it received.
 *
 *   const smtp = await startSmtp({ starttls: true, auth: { user: "bot", pass: "s3cret" } });
 *   ... config notifications.smtp = { host: "127.0.0.1", port: smtp.port, ... } ...
 *   expect(smtp.messages[0]!.subject).toContain("quiet hours");
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, TLSSocket } from "node:tls";

/**
 * A self-signed certificate for localhost / 127.0.0.1, for tests only, valid from 2000-01-01 to
 * 2099-12-07 so that the suite passes under any faked clock (npm run test:clock).
 */
export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKCteWobOjPbr8W5C
zyL4r1BgYAFm5vuvByFe1QowBq+hRANCAARXK1aimBd1lPbG3cjpOyQee0aWN7EL
pzlPy2KH1rUqwInyAjUPdaQoz5Hyx1YYJz3pUTzQN2+hjI+kKTmXdBPU
-----END PRIVATE KEY-----
`;
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUccX5prjwRPJB7moFNtbhVK8sTP0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTAwMDEwMTAwMDAwMFoYDzIwOTkxMjA3
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARXK1aimBd1lPbG3cjpOyQee0aWN7ELpzlPy2KH1rUqwInyAjUPdaQo
z5Hyx1YYJz3pUTzQN2+hjI+kKTmXdBPUo28wbTAdBgNVHQ4EFgQU8O/UhAkFpLW6
FJMS2f7HdPTeAVcwHwYDVR0jBBgwFoAU8O/UhAkFpLW6FJMS2f7HdPTeAVcwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIgIEdUpjnwem1rtxmZcRYxp10E8u9rGb4vJ91Lwh4SnzcCIQD6
Mn0LcYLmZpu1yvkx6zZKznI4787hthDxRUcxlFy6Gg==
-----END CERTIFICATE-----
`;

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw DATA (headers and body), CRLF line ends, dot-stuffing removed. */
  raw: string;
  /** Decoded Subject header. */
  subject: string;
  /** Every header, unfolded and decoded, by lower-case name. */
  headers: Record<string, string>;
  /** Decoded body text. */
  text: string;
  tls: boolean;
  authUser: string | null;
}

export interface SmtpServerOptions {
  /** Offer STARTTLS. */
  starttls?: boolean;
  /** Speak TLS from the first byte (SMTPS, what `smtp.secure` connects to). */
  implicitTls?: boolean;
  /** Require AUTH with these credentials before MAIL. */
  auth?: { user: string; pass: string };
  /** Answer MAIL FROM with this error reply, e.g. "451 try later". */
  failMail?: string;
  /**
   * Lines sent in the clear right behind the STARTTLS "220", in the same packet, before the TLS
   * handshake (a man in the middle injecting replies): a client must discard them.
   */
  injectAfterStarttls?: string[];
}

export interface TestSmtp {
  port: number;
  messages: ReceivedMail[];
  /** Every command line received (AUTH payloads included), for assertions. */
  commands: string[];
  close(): Promise<void>;
}

/** RFC 2047 encoded words (B or Q, UTF-8), adjacent ones joined, decoded to text. */
function decodeHeader(v: string): string {
  return v
    .replace(/(=\?[^?]+\?[BQ]\?[^?]*\?=)\s+(?==\?[^?]+\?[BQ]\?)/gi, "$1")
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(data, "base64").toString("utf8")
        : Buffer.from(data.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
    );
}

function parseMail(raw: string): { subject: string; text: string; headers: Record<string, string> } {
  const split = raw.indexOf("\r\n\r\n");
  // Unfold continuation lines (CRLF + white space) before reading each header.
  const head = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, "");
  const body = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = decodeHeader(line.slice(i + 1).trim());
  }
  const cte = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  const text =
    cte === "base64"
      ? Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
      : cte === "quoted-printable"
        ? Buffer.from(body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8")
        : body;
  return { subject: headers.subject ?? "", text, headers };
}

export async function startSmtp(opts: SmtpServerOptions = {}): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (raw: Socket) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    let sock: Socket = raw;
    let tls = raw instanceof TLSSocket;
    let authUser: string | null = null;
    let from = "";
    let to: string[] = [];
    let inData = false;
    let data: string[] = [];
    let pendingLogin: "user" | "pass" | null = null;
    let loginUser = "";
    let buf = "";
    const send = (s: string) => sock.write(`${s}\r\n`);
    const ehlo = () => {
      const caps = ["250-localhost test"];
      if (opts.starttls && !tls) caps.push("250-STARTTLS");
      if (opts.auth) caps.push("250-AUTH PLAIN LOGIN");
      caps.push("250 8BITMIME");
      sock.write(caps.join("\r\n") + "\r\n");
    };
    const checkAuth = (user: string, pass: string) => {
      if (opts.auth && user === opts.auth.user && pass === opts.auth.pass) {
        authUser = user;
        send("235 2.7.0 Authentication successful");
      } else send("535 5.7.8 Authentication credentials invalid");
    };
    const onLine = (line: string) => {
      if (inData) {
        if (line === ".") {
          inData = false;
          const rawMail = data.join("\r\n") + "\r\n";
          messages.push({ from, to, raw: rawMail, ...parseMail(rawMail), tls, authUser });
          data = [];
          send("250 2.0.0 queued");
        } else data.push(line.startsWith("..") ? line.slice(1) : line);
        return;
      }
      commands.push(line);
      if (pendingLogin === "user") {
        loginUser = Buffer.from(line, "base64").toString("utf8");
        pendingLogin = "pass";
        send("334 UGFzc3dvcmQ6");
        return;
      }
      if (pendingLogin === "pass") {
        pendingLogin = null;
        checkAuth(loginUser, Buffer.from(line, "base64").toString("utf8"));
        return;
      }
      const verb = line.split(" ")[0]!.toUpperCase();
      if (verb === "EHLO" || verb === "HELO") ehlo();
      else if (verb === "STARTTLS" && opts.starttls && !tls) {
        sock.write(["220 2.0.0 Ready to start TLS", ...(opts.injectAfterStarttls ?? [])].map((l) => `${l}\r\n`).join(""));
        raw.removeAllListeners("data");
        const secure = new TLSSocket(raw, { isServer: true, key: TEST_TLS_KEY, cert: TEST_TLS_CERT });
        secure.on("error", () => {});
        secure.on("data", onData);
        sock = secure;
        tls = true;
        buf = "";
      } else if (verb === "AUTH") {
        const [, mech, arg] = line.split(" ");
        if ((mech ?? "").toUpperCase() === "PLAIN" && arg) {
          const [, u, p] = Buffer.from(arg, "base64").toString("utf8").split("\0");
          checkAuth(u ?? "", p ?? "");
        } else if ((mech ?? "").toUpperCase() === "LOGIN") {
          pendingLogin = "user";
          send("334 VXNlcm5hbWU6");
        } else send("504 5.5.4 Unrecognized authentication type");
      } else if (verb === "MAIL") {
        if (opts.failMail) send(opts.failMail);
        else if (opts.auth && !authUser) send("530 5.7.0 Authentication required");
        else {
          from = /<([^>]*)>/.exec(line)?.[1] ?? "";
          to = [];
          send("250 2.1.0 Ok");
        }
      } else if (verb === "RCPT") {
        to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
        send("250 2.1.5 Ok");
      } else if (verb === "DATA") {
        inData = true;
        send("354 End data with <CR><LF>.<CR><LF>");
      } else if (verb === "QUIT") {
        send("221 2.0.0 Bye");
        sock.end();
      } else if (verb === "RSET" || verb === "NOOP") send("250 2.0.0 Ok");
      else send("502 5.5.2 Command not recognized");
    };
    const onData = (d: Buffer) => {
      buf += d.toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        onLine(line);
      }
    };
    raw.on("data", onData);
    send("220 localhost ESMTP test");
  };
  const server: Server = opts.implicitTls
    ? createTlsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, onConnection).on("tlsClientError", () => {})
    : createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    messages,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
