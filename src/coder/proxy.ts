/**
 * The proxy settings of a run, from the conventional environment variables (lowercase first, as
 * curl and Python's requests read them): `https_proxy`/`HTTPS_PROXY` for https:// URLs,
 * `http_proxy`/`HTTP_PROXY` for http:// URLs (and for https:// when no HTTPS proxy is set), and
 * `no_proxy`/`NO_PROXY` (comma-separated hosts, `.suffix` or `*.suffix` domains, `host:port`,
 * or `*` for none) for hosts reached directly. An empty string means "none": the production
 * dispatcher (undici's EnvHttpProxyAgent) is given these values and never reads process.env.
 */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

export function proxySettings(env: Record<string, string | undefined>): ProxySettings {
  const pick = (name: string) => (env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? "").trim();
  return { httpProxy: pick("http_proxy"), httpsProxy: pick("https_proxy"), noProxy: pick("no_proxy") };
}

/** The proxy that `url` goes through under `p` ("" when direct), without credentials: for logs. */
export function proxyFor(url: string, p: ProxySettings): string {
  const u = new URL(url);
  const proxy = u.protocol === "https:" ? p.httpsProxy || p.httpProxy : p.httpProxy;
  if (!proxy || bypassed(u, p.noProxy)) return "";
  try {
    const pu = new URL(proxy);
    return `${pu.protocol}//${pu.host}`;
  } catch {
    return "(invalid proxy URL)";
  }
}

function bypassed(u: URL, noProxy: string): boolean {
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    if (m[2] && m[2] !== port) continue;
    const name = m[1]!.replace(/^\*?\./, "").replace(/^\[|\]$/g, "");
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}
