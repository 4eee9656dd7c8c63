/**
 * Resolves the Coder URL and session token (SPEC §3). Pure apart from the injected file access;
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
  warnings: string[];
}

export function normalizeUrl(raw: string): string {
  let u = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `https://${u}`;
  u = u.replace(/\/+$/, "");
  try {
    new URL(u);
  } catch {
    throw new ConfigError(`invalid Coder URL "${raw}"`);
  }
  return u;
}

function coderConfigDir(s: CredentialSources): string {
  return s.env.CODER_CONFIG_DIR || join(s.env.XDG_CONFIG_HOME || join(s.home, ".config"), "coderv2");
}

export function resolveUrl(s: CredentialSources): { url: string; source: string } {
  if (s.flagUrl) return { url: normalizeUrl(s.flagUrl), source: "--url" };
  if (s.env.CODER_URL) return { url: normalizeUrl(s.env.CODER_URL), source: "CODER_URL" };
  const file = join(coderConfigDir(s), "url");
  const saved = s.readFile(file)?.trim();
  if (saved) return { url: normalizeUrl(saved), source: file };
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
    const token = text.trim();
    if (!token) {
      if (explicit) throw new ConfigError(`token file ${path}: is empty`);
      return null;
    }
    const mode = s.fileMode(path);
    if (mode !== null && (mode & 0o077) !== 0) {
      warnings.push(`token file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    }
    return token;
  };
  if (s.flagTokenFile) return { token: fromFile(s.flagTokenFile, true)!, source: s.flagTokenFile, warnings };
  if (s.env.CODER_TOKEN) return { token: s.env.CODER_TOKEN.trim(), source: "CODER_TOKEN", warnings };
  if (s.env.CODER_SESSION_TOKEN) return { token: s.env.CODER_SESSION_TOKEN.trim(), source: "CODER_SESSION_TOKEN", warnings };
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

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

export function resolveCredentials(s: CredentialSources): Credentials {
  const { url, source: urlSource } = resolveUrl(s);
  const { token, source: tokenSource, warnings } = resolveToken(s);
  const u = new URL(url);
  if (u.protocol === "http:" && !isLoopback(u.hostname)) {
    warnings.push(`sending the session token over plain http:// to ${u.host}; use https://`);
  }
  return { url, token, tokenSource, urlSource, warnings };
}
