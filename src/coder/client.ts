/**
 * The typed Coder client: one method per API call the tool makes, each returning zod-validated
 * data or throwing a typed error (CoderApiError, UnreachableError, ApiShapeError, SafetyAbortError).
 */
import { z } from "zod";
import { CoderApiError, SafetyAbortError } from "../errors.js";
import { HttpClient, type HttpOptions } from "./http.js";
import {
  buildInfoSchema,
  deploymentConfigSchema,
  entitlementsSchema,
  groupsResponseSchema,
  organizationsResponseSchema,
  quietHoursSchema,
  templateSchema,
  templatesResponseSchema,
  userSchema,
  workspaceBuildSchema,
  workspaceSchema,
  type BuildInfo,
  type DeploymentConfig,
  type Entitlements,
  type Group,
  type Organization,
  type QuietHours,
  type Template,
  type User,
  type Workspace,
  type WorkspaceBuild,
} from "./schemas.js";

export interface ClientOptions extends HttpOptions {
  /** Rows per listing page. */
  pageSize?: number;
  /** Pages fetched at once after the first page has told the total count. */
  concurrency?: number;
}

export interface ListProgress {
  (done: number, total: number): void;
}

/**
 * Run `fn` over `items` with at most `limit` in flight; results keep the input order. After the
 * first failure no new item starts (the ones in flight finish), and that failure is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

const enc = encodeURIComponent;

/** Pages read for one listing at most (1,000,000 rows at the smallest sensible page size). */
const MAX_PAGES = 10_000;

export class CoderClient {
  readonly http: HttpClient;
  private readonly pageSize: number;
  private readonly concurrency: number;

  constructor(opts: ClientOptions) {
    this.http = new HttpClient(opts);
    this.pageSize = opts.pageSize ?? 5000;
    this.concurrency = opts.concurrency ?? 8;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  buildInfo(): Promise<BuildInfo> {
    return this.http.request("GET", "/api/v2/buildinfo", buildInfoSchema);
  }

  me(): Promise<User> {
    return this.http.request("GET", "/api/v2/users/me", userSchema);
  }

  getUser(user: string): Promise<User> {
    return this.http.request("GET", `/api/v2/users/${enc(user)}`, userSchema);
  }

  /**
   * Every workspace matching the Coder search query `q` (e.g. "status:running owner:alice"),
   * page by page until the server's `count` is reached. A listing that comes up short of
   * `count` is a SafetyAbortError (exit 7): acting on a partial view is never safe.
   */
  listWorkspaces(q?: string, onProgress?: ListProgress): Promise<Workspace[]> {
    return this.listPaged("/api/v2/workspaces", q, "workspaces", workspaceSchema, onProgress);
  }

  listUsers(q?: string, onProgress?: ListProgress): Promise<User[]> {
    return this.listPaged("/api/v2/users", q, "users", userSchema, onProgress);
  }

  private async listPaged<S extends z.ZodType<{ id: string }>>(
    path: string,
    q: string | undefined,
    key: string,
    itemSchema: S,
    onProgress?: ListProgress,
  ): Promise<z.output<S>[]> {
    const limit = this.pageSize;
    const page = (offset: number) => this.http.getList(path, key, itemSchema, { q: q || undefined, limit, offset });
    const first = await page(0);
    const rows: z.output<S>[] = first.items;
    const total = first.count;
    onProgress?.(rows.length, total);
    if (rows.length < total && first.items.length > 0) {
      // A count the pages cannot reach (a lying server) must not become millions of page reads:
      // the first page that comes back empty short of `count` ends the listing (below).
      const offsets: number[] = [];
      for (let off = first.items.length; off < total && offsets.length < MAX_PAGES; off += limit) offsets.push(off);
      let done = rows.length;
      const pages = await mapLimit(offsets, this.concurrency, async (off) => {
        const p = await page(off);
        if (p.items.length === 0) {
          throw new SafetyAbortError(
            `GET ${path}: the listing returned ${done} of ${total} rows the server counted (the page at offset ${off} was empty); refusing to act on a truncated listing`,
          );
        }
        done += p.items.length;
        onProgress?.(Math.min(done, total), total);
        return p.items;
      });
      for (const p of pages) for (const r of p) rows.push(r);
    }
    const seen = new Set<string>();
    const unique = rows.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
    if (unique.length < total) {
      throw new SafetyAbortError(
        `GET ${path}: the listing returned ${unique.length} of ${total} rows the server counted; refusing to act on a truncated listing`,
      );
    }
    return unique;
  }

  getWorkspace(id: string, opts: { detached?: boolean } = {}): Promise<Workspace> {
    return this.http.request("GET", `/api/v2/workspaces/${enc(id)}`, workspaceSchema, opts.detached ? { detached: true } : {});
  }

  getWorkspaceByOwnerAndName(owner: string, name: string): Promise<Workspace> {
    return this.http.request("GET", `/api/v2/users/${enc(owner)}/workspace/${enc(name)}`, workspaceSchema);
  }

  /**
   * Create a build (stop/start). Never retried: a build POST is not idempotent. Sends reason
   * `cli` and, when an older server rejects the field, nothing else is tried here: the caller
   * decides (see createBuildCompat).
   */
  createBuild(id: string, body: { transition: "start" | "stop"; reason?: string; template_version_id?: string }): Promise<WorkspaceBuild> {
    // Detached: a stop in flight when a signal arrives finishes and is recorded (SPEC §8.2).
    return this.http.request("POST", `/api/v2/workspaces/${enc(id)}/builds`, workspaceBuildSchema, { body, detached: true });
  }

  /** One page of a workspace's builds, newest first (Coder orders by build number, descending). */
  listWorkspaceBuilds(id: string, page: { limit: number; offset: number }): Promise<WorkspaceBuild[]> {
    return this.http.request("GET", `/api/v2/workspaces/${enc(id)}/builds`, z.array(workspaceBuildSchema), { query: page });
  }

  listTemplates(): Promise<Template[]> {
    return this.http.request("GET", "/api/v2/templates", templatesResponseSchema);
  }

  getTemplate(id: string): Promise<Template> {
    return this.http.request("GET", `/api/v2/templates/${enc(id)}`, templateSchema);
  }

  listOrganizations(): Promise<Organization[]> {
    return this.http.request("GET", "/api/v2/organizations", organizationsResponseSchema);
  }

  /** All groups the caller can see, members inline. */
  listGroups(): Promise<Group[]> {
    return this.http.request("GET", "/api/v2/groups", groupsResponseSchema);
  }

  getQuietHours(user: string): Promise<QuietHours> {
    return this.http.request("GET", `/api/v2/users/${enc(user)}/quiet-hours`, quietHoursSchema);
  }

  deploymentConfig(): Promise<DeploymentConfig> {
    return this.http.request("GET", "/api/v2/deployment/config", deploymentConfigSchema);
  }

  /** Entitlements, or null when the server has no such route (AGPL build: treated as unlicensed). */
  async entitlements(): Promise<Entitlements | null> {
    try {
      return await this.http.request("GET", "/api/v2/entitlements", entitlementsSchema);
    } catch (err) {
      if (err instanceof CoderApiError && err.status === 404) return null;
      throw err;
    }
  }
}

/** Whether advanced template scheduling (quiet hours, autostop requirements) is usable. */
export function advancedSchedulingEnabled(e: Entitlements | null): boolean {
  const f = e?.features.advanced_template_scheduling;
  return !!f && (f.entitlement === "entitled" || f.entitlement === "grace_period") && f.enabled;
}
