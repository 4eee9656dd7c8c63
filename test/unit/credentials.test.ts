import { describe, expect, it } from "vitest";
import { proxyFor, proxySettings } from "../../src/coder/proxy.js";
import { normalizeUrl, resolveToken, tokenOfFile } from "../../src/config/credentials.js";
import { ConfigError, ExitCode } from "../../src/errors.js";

describe("normalizeUrl", () => {
  it.each([
    ["https://coder.example.com", "https://coder.example.com"],
    ["https://coder.example.com/", "https://coder.example.com"],
    ["https://coder.example.com/api/v2", "https://coder.example.com"],
    ["https://coder.example.com/api/v2/", "https://coder.example.com"],
    ["  HTTPS://Coder.Example.com:443//  ", "https://coder.example.com"],
    ["http://127.0.0.1:3000/api/v2", "http://127.0.0.1:3000"],
    ["https://example.com/coder/api/v2/", "https://example.com/coder"],
  ])("%s → %s", (raw, url) => {
    expect(normalizeUrl(raw)).toEqual({ url, schemeAssumed: false });
  });

  it("a host without a scheme gets https:// and says so", () => {
    expect(normalizeUrl("coder.example.com:3000")).toEqual({ url: "https://coder.example.com:3000", schemeAssumed: true });
  });

  it.each([
    ["ftp://coder.example.com", /unsupported scheme "ftp:\/\/"; use https:\/\/ \(or http:\/\/ for a plain-HTTP server\)/],
    ["file:///etc/passwd", /unsupported scheme "file:\/\/"/],
    ["https://coder.example.com/?x=1", /a query or fragment is not part of a Coder URL/],
    ["https://", /not a valid URL/],
    ["https://admin:hunter2@coder.example.com", /a user name or password in the Coder URL is not supported/],
  ])("%s is a config error (exit 2)", (raw, message) => {
    let err: unknown;
    try {
      normalizeUrl(raw, "CODER_URL");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.Usage);
    expect((err as Error).message).toMatch(/^CODER_URL[ :]/);
    expect((err as Error).message).not.toContain("hunter2"); // a password in the URL is never echoed
    expect((err as Error).message).toMatch(message);
  });
});

describe("token sources", () => {
  it("a token file is its first non-blank line", () => {
    expect(tokenOfFile("admin-token\n# rotated 2026-01-01\n")).toBe("admin-token");
    expect(tokenOfFile("\r\n  admin-token  \r\nsecond\r\n")).toBe("admin-token");
    expect(tokenOfFile("   \n")).toBe("");
  });

  it("a header-invalid token names its source, never the token", () => {
    const base = { env: {}, cwd: "/nonexistent", home: "/nonexistent", fileMode: () => 0o600 };
    expect(() => resolveToken({ ...base, flagTokenFile: "/t", readFile: () => "tok\u0000en-value\n" })).toThrow(
      /^token file \/t: the session token contains characters that cannot be sent in an HTTP header/,
    );
    expect(() => resolveToken({ ...base, env: { CODER_TOKEN: "Ω-token-value" }, readFile: () => null })).toThrow(/^CODER_TOKEN: /);
    expect(resolveToken({ ...base, flagTokenFile: "/t", readFile: () => "good-token\n# note" }).token).toBe("good-token");
  });
});

describe("proxy settings", () => {
  it("reads lowercase first, then uppercase; empty means none", () => {
    expect(proxySettings({ HTTP_PROXY: "http://a:1", http_proxy: "http://b:2", NO_PROXY: "x" })).toEqual({ httpProxy: "http://b:2", httpsProxy: "", noProxy: "x" });
    expect(proxySettings({})).toEqual({ httpProxy: "", httpsProxy: "", noProxy: "" });
  });

  it("names the proxy a URL goes through, without credentials, honouring NO_PROXY", () => {
    const p = { httpProxy: "http://u:secret@proxy:3128", httpsProxy: "", noProxy: ".internal, 10.0.0.1:8443" };
    expect(proxyFor("https://coder.example.com", p)).toBe("http://proxy:3128"); // https falls back to the HTTP proxy
    expect(proxyFor("https://coder.internal", p)).toBe("");
    expect(proxyFor("https://a.b.internal", p)).toBe("");
    expect(proxyFor("https://10.0.0.1:8443", p)).toBe("");
    expect(proxyFor("https://10.0.0.1:443", p)).toBe("http://proxy:3128");
    expect(proxyFor("http://x", { ...p, noProxy: "*" })).toBe("");
    expect(proxyFor("https://x", { httpProxy: "http://h:1", httpsProxy: "http://s:2", noProxy: "" })).toBe("http://s:2");
  });
});
