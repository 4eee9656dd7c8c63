/** Small HTTP plumbing for the simulator: a path-pattern router, JSON replies, body reading. */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * A list body sent as it is rendered (chunked, like Go's encoder writing a large response), so
   * a 5,000-workspace page is never one string: `{"<key>":[` + items + `],"count":N}`.
   */
  list?: { key: string; items: readonly unknown[]; render: (item: unknown) => unknown; count: number };
}

export interface RouteMatch<H> {
  pattern: string;
  params: Record<string, string>;
  handler: H | null;
  /** True when the path exists but not for this method. */
  methodMismatch: boolean;
}

interface Route<H> {
  method: string;
  pattern: string;
  segments: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, pattern, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): RouteMatch<H> {
    const parts = path.split("/").filter(Boolean).map(safeDecode);
    let mismatch: Route<H> | null = null;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      if (r.method === method) return { pattern: `${method} ${r.pattern}`, params, handler: r.handler, methodMismatch: false };
      mismatch = mismatch ?? r;
    }
    if (mismatch) return { pattern: `${method} ${mismatch.pattern}`, params: {}, handler: null, methodMismatch: true };
    return { pattern: `${method} ${path}`, params: {}, handler: null, methodMismatch: false };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const v = parts[i] ?? "";
    if (p.startsWith("{") && p.endsWith("}")) params[p.slice(1, -1)] = v;
    else if (p !== v) return null;
  }
  return params;
}

/** Items rendered and written per chunk of a streamed list. */
const LIST_CHUNK = 200;

/** Sends a list reply chunk by chunk, waiting for the socket to drain (malformed: cut halfway). */
async function sendList(res: ServerResponse, reply: Reply, headers: Record<string, string>, malformed: boolean): Promise<void> {
  const list = reply.list!;
  res.writeHead(reply.status, { ...headers, ...reply.headers, "Content-Type": "application/json; charset=utf-8" });
  const cutAt = malformed ? Math.floor(list.items.length / 2) : -1;
  let out = `{${JSON.stringify(list.key)}:[`;
  for (let i = 0; i < list.items.length; i += LIST_CHUNK) {
    if (cutAt >= 0 && i >= cutAt) {
      res.end(out);
      return;
    }
    const parts = list.items.slice(i, i + LIST_CHUNK).map((item) => JSON.stringify(list.render(item)));
    out += (i > 0 ? "," : "") + parts.join(",");
    if (res.destroyed) return;
    if (!res.write(out)) await new Promise((r) => res.once("drain", r));
    out = "";
  }
  if (cutAt >= 0) {
    res.end(out);
    return;
  }
  res.end(`${out}],"count":${list.count}}`);
}

export function sendJson(res: ServerResponse, reply: Reply, headers: Record<string, string>, malformed = false): void | Promise<void> {
  if (reply.list) return sendList(res, reply, headers, malformed);
  let text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  if (malformed && text.length > 0) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const all: Record<string, string | number> = { ...headers, ...reply.headers };
  if (text.length > 0) all["Content-Type"] = "application/json; charset=utf-8";
  all["Content-Length"] = Buffer.byteLength(text);
  res.writeHead(reply.status, all);
  res.end(text);
}

export async function readBody(req: IncomingMessage, maxBytes = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new Error("request body too large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const err = (status: number, message: string, detail?: string, validations?: { field: string; detail: string }[]): Reply => ({
  status,
  body: { message, ...(detail !== undefined ? { detail } : {}), ...(validations ? { validations } : {}) },
});

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

export const NOT_FOUND = err(404, "Resource not found or you do not have access to this resource");
export const FORBIDDEN = err(403, "Forbidden.");
