/**
 * The typed Coder client: one method per API call the tool makes, each returning zod-validated
 * data or throwing a typed error (CoderApiError, UnreachableError, ApiShapeError, SafetyAbortError).
 */
import { z } from "zod";
import { CoderApiError } from "../errors.js";
import { HttpClient, type HttpOptions } from "./http.js";
import { consistentList } from "./listing.js";
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
  workspaceSummarySchema,
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
  type WorkspaceSummary,
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

const enc = encodeURIComponent;

/**
 * The query listing the workspaces a move can hide from an offset listing of `q` (see listing.ts):
 * the running ones. None when `q` already filters by status (no moves inside such a partition).
 */
export function runningPartition(q: string | undefined): string | undefined {
  if (q && /(^|\s)status:/i.test(q)) return undefined;
  return q ? `${q} status:running` : "status:running";
}

/** Pages read for one listing at most (1,000,000 rows at the smallest sensible page size). */
const MAX_PAGES = 10_000;
/**
 * Parts of a listed workspace no reader of the list uses (the schema does not keep them), cut from
 * each row's text before it is parsed: `latest_build.resources` (agents, apps, scripts, log
 * sources) is most of a real workspace's 5–10 KB.
 */
const WORKSPACE_LIST_OMIT: readonly (readonly string[])[] = [["latest_build", "resources"]];

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
   * each exactly once, even while workspaces start and stop during the read (listing.ts explains
   * how). A listing that cannot be made consistent is a SafetyAbortError (exit 7) saying why:
   * acting on a partial view is never safe.
   */
  listWorkspaces(q?: string, onProgress?: ListProgress): Promise<Workspace[]> {
    return this.listPaged("/api/v2/workspaces", q, "workspaces", workspaceSchema, onProgress, "workspaces");
  }

  /** As listWorkspaces, each row cut down to a WorkspaceSummary as it is parsed (whole-fleet reports). */
  listWorkspaceSummaries(q?: string, onProgress?: ListProgress): Promise<WorkspaceSummary[]> {
    return this.listPaged("/api/v2/workspaces", q, "workspaces", workspaceSummarySchema, onProgress, "workspaces");
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
    kind?: "workspaces",
  ): Promise<z.output<S>[]> {
    type Row = z.output<S>;
    const build = (r: Row) => (r as { latest_build?: { build_number?: number; status?: string } }).latest_build;
    return consistentList<Row>(q || undefined, {
      pageSize: this.pageSize,
      concurrency: this.concurrency,
      read: (query, offset, limit, sink) =>
        this.http.getList(path, key, itemSchema, { q: query || undefined, limit, offset }, sink, kind === "workspaces" ? WORKSPACE_LIST_OMIT : []),
      // The workspace list's order depends on running-or-not (then owner, name): that is the
      // bucket a row can move between. Users are ordered by username only.
      bucket: kind === "workspaces" ? (r) => (build(r)?.status === "running" ? "running" : "other") : () => "",
      newer: (a, b) => ((build(b)?.build_number ?? 0) > (build(a)?.build_number ?? 0) ? b : a),
      moversQuery: kind === "workspaces" ? runningPartition : null,
      label: `GET ${path}`,
      maxPages: MAX_PAGES,
      ...(onProgress ? { onProgress } : {}),
    });
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
    // Detached: a stop in flight when a signal arrives finishes and is recorded.
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
