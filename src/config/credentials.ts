/**
 * Resolves the Coder URL and session token. Pure apart from the injected file access;
 * the composition root passes env, cwd, home and fs in.
 */
import { join } from "node:path";
import { ConfigError } from "../errors.js";

export interface CredentialSources {
  flagUrl?: string | undefined;
  flagTokenFile?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  readFile(path: string): string | null;
  /** File mode bits, or null when the file does not exist. */
  fileMode(path: string): number | null;
}

export interface Credentials {
  url: string;
  token: string;
  /** Where the token came from, for --verbose and error messages (never the token itself). */
  tokenSource: string;
  urlSource: string;
  /** The URL was given without a scheme and https:// was assumed (for hints on TLS failures). */
  schemeAssumed: boolean;
  warnings: string[];
}

export interface NormalizedUrl {
  url: string;
  schemeAssumed: boolean;
}

/**
 * The deployment's base URL from what the operator typed: `https://coder.example.com`,
 * `https://coder.example.com/`, `https://coder.example.com/api/v2/` all mean the same deployment
 * (the client adds `/api/v2/...` itself). A URL without a scheme gets https://, as `coder login`
 * does; any scheme other than http(s) is a configuration error.
 */
export function normalizeUrl(raw: string, source = "Coder URL"): NormalizedUrl {
  const text = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw new ConfigError(`${source} "${raw}": unsupported scheme "${scheme}://"; use https:// (or http:// for a plain-HTTP server)`);
  }
  const schemeAssumed = scheme === undefined;
  let u: URL;
  try {
    u = new URL(schemeAssumed ? `https://${text}` : text);
  } catch {
    throw new ConfigError(`${source} "${raw}": not a valid URL; expected e.g. https://coder.example.com`);
  }
  if (!u.hostname) throw new ConfigError(`${source} "${raw}": no host; expected e.g. https://coder.example.com`);
  if (u.username || u.password) throw new ConfigError(`${source}: a user name or password in the Coder URL is not supported (it would be logged and sent as is); use a session token`);
  if (u.search || u.hash) throw new ConfigError(`${source} "${raw}": a query or fragment is not part of a Coder URL; expected e.g. https://coder.example.com`);
  const path = u.pathname.replace(/\/+$/, "").replace(/\/api\/v2$/, "").replace(/\/+$/, "");
  return { url: u.origin + path, schemeAssumed };
}

function coderConfigDir(s: CredentialSources): string {
  return s.env.CODER_CONFIG_DIR || join(s.env.XDG_CONFIG_HOME || join(s.home, ".config"), "coderv2");
}

export function resolveUrl(s: CredentialSources): NormalizedUrl & { source: string } {
  if (s.flagUrl) return { ...normalizeUrl(s.flagUrl, "--url"), source: "--url" };
  if (s.env.CODER_URL) return { ...normalizeUrl(s.env.CODER_URL, "CODER_URL"), source: "CODER_URL" };
  const file = join(coderConfigDir(s), "url");
  const saved = s.readFile(file)?.trim();
  if (saved) return { ...normalizeUrl(saved, file), source: file };
  throw new ConfigError(
    "no Coder URL: pass --url, set CODER_URL, or log in with the Coder CLI (coder login) so its saved URL can be used",
  );
}

export function resolveToken(s: CredentialSources): { token: string; source: string; warnings: string[] } {
  const warnings: string[] = [];
  const fromFile = (path: string, explicit: boolean): string | null => {
    const text = s.readFile(path);
    if (text === null) {
      if (explicit) throw new ConfigError(`token file ${path}: not found`);
      return null;
    }
    // The token is the file's first non-blank line: a comment or note below it is not sent.
    const token = tokenOfFile(text);
    if (!token) {
      if (explicit) throw new ConfigError(`token file ${path}: is empty`);
      return null;
    }
    checkHeaderValue(token, `token file ${path}`);
    const mode = s.fileMode(path);
    if (mode !== null && (mode & 0o077) !== 0) {
      warnings.push(`token file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    }
    return token;
  };
  if (s.flagTokenFile) return { token: fromFile(s.flagTokenFile, true)!, source: s.flagTokenFile, warnings };
  for (const name of ["CODER_TOKEN", "CODER_SESSION_TOKEN"]) {
    const token = s.env[name]?.trim();
    if (token) return { token: checkHeaderValue(token, name), source: name, warnings };
  }
  const audit = join(s.cwd, "audit-token.txt");
  const a = fromFile(audit, false);
  if (a) return { token: a, source: audit, warnings };
  const session = join(coderConfigDir(s), "session");
  const c = fromFile(session, false);
  if (c) return { token: c, source: session, warnings };
  throw new ConfigError(
    "no session token: pass --token-file, set CODER_TOKEN or CODER_SESSION_TOKEN, create ./audit-token.txt, or log in with the Coder CLI",
  );
}

/** The first non-blank line of a token file, trimmed. */
export function tokenOfFile(text: string): string {
  return text.trim().split(/\r?\n/, 1)[0]!.trim();
}

/**
 * A token must be sendable as the Coder-Session-Token header value: visible ASCII (spaces and
 * tabs only inside). The error names where the token came from, never the token.
 */
function checkHeaderValue(token: string, source: string): string {
  if (!/^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(token)) {
    throw new ConfigError(
      `${source}: the session token contains characters that cannot be sent in an HTTP header (control characters, line breaks or non-ASCII); put the token alone on the first line`,
    );
  }
  return token;
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

export function resolveCredentials(s: CredentialSources): Credentials {
  const { url, source: urlSource, schemeAssumed } = resolveUrl(s);
  const { token, source: tokenSource, warnings } = resolveToken(s);
  const u = new URL(url);
  if (u.protocol === "http:" && !isLoopback(u.hostname)) {
    warnings.push(`sending the session token over plain http:// to ${u.host}; use https://`);
  }
  return { url, token, tokenSource, urlSource, schemeAssumed, warnings };
}
