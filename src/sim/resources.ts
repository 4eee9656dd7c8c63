/**
 * `latest_build.resources` as a real template produces them (codersdk.WorkspaceResource with
 * nested WorkspaceAgent, WorkspaceApp, WorkspaceAgentScript and WorkspaceAgentLogSource): a
 * container with one agent (apps, scripts, log sources, display apps) and a home volume. Coder's
 * documented workspace example is about 5.6 KB and a typical template's about 10 KB, so the
 * simulator pads the startup script until a workspace reaches the deployment's `workspace_bytes`.
 *
 * Nothing is cached per workspace: the objects are built while rendering and dropped after, so a
 * 50,000-workspace deployment costs no extra simulator memory.
 */
import { derivedUuid } from "./ids.js";
import type { Build, Workspace } from "./model.js";
import { iso } from "./time.js";

type Json = Record<string, unknown>;

/** Default size of one rendered workspace (JSON bytes), between Coder's example and a typical template. */
export const DEFAULT_WORKSPACE_BYTES = 7_000;

const SCRIPT_HEAD = `#!/usr/bin/env bash
set -euo pipefail
# install and start code-server, dotfiles, language servers
curl -fsSL https://code-server.dev/install.sh | sh -s -- --method=standalone --prefix=/tmp/code-server
/tmp/code-server/bin/code-server --auth none --port 13337 >/tmp/code-server.log 2>&1 &
`;
const SCRIPT_LINE = "echo \"preparing workspace: syncing caches, warming language servers, restoring shell history\"\n";

/** Startup-script text `padBytes` longer than the base script (shared by every workspace). */
export function startupScript(padBytes: number): string {
  if (padBytes <= 0) return SCRIPT_HEAD;
  const lines = Math.ceil(padBytes / SCRIPT_LINE.length);
  return (SCRIPT_HEAD + SCRIPT_LINE.repeat(lines)).slice(0, SCRIPT_HEAD.length + padBytes);
}

const APPS = [
  { slug: "code-server", display_name: "VS Code Web", icon: "/icon/code.svg", url: "http://localhost:13337/?folder=/home/coder", subdomain: false },
  { slug: "jupyter", display_name: "JupyterLab", icon: "/icon/jupyter.svg", url: "http://localhost:8888", subdomain: true },
  { slug: "filebrowser", display_name: "File Browser", icon: "/icon/folder.svg", url: "http://localhost:13339", subdomain: true },
  { slug: "docs", display_name: "Team docs", icon: "/icon/book.svg", url: "https://docs.example.com", subdomain: false },
] as const;

/**
 * The resources of a build: start builds have the container with its agent plus the volume; stop
 * and delete builds keep only what persists (the volume), as Terraform reports them.
 */
export function resourcesJson(ws: Workspace, b: Build, ownerName: string, script: string | null, now: number): Json[] {
  if (script === null) return [];
  const created = iso(b.createdAt);
  const volume: Json = {
    id: derivedUuid(b.id, 1),
    created_at: created,
    job_id: b.jobId,
    workspace_transition: b.transition,
    type: "docker_volume",
    name: "home_volume",
    hide: true,
    icon: "/icon/database.svg",
    agents: [],
    metadata: [],
    daily_cost: 0,
  };
  if (b.transition !== "start") return [volume];
  const agentId = derivedUuid(b.id, 2);
  const resourceId = derivedUuid(b.id, 3);
  const up = b.jobStatus === "succeeded";
  const connected = up ? iso(b.completedAt ?? b.createdAt) : undefined;
  const logSources = [
    { workspace_agent_id: agentId, id: derivedUuid(b.id, 4), created_at: created, display_name: "Startup Script", icon: "/emojis/25b6.png" },
    { workspace_agent_id: agentId, id: derivedUuid(b.id, 5), created_at: created, display_name: "Dotfiles", icon: "/icon/dotfiles.svg" },
  ];
  const scripts = [
    {
      id: derivedUuid(b.id, 6),
      log_source_id: logSources[0]!.id,
      log_path: "/tmp/coder-startup-script.log",
      script,
      cron: "",
      run_on_start: true,
      run_on_stop: false,
      start_blocks_login: false,
      timeout: 0,
      display_name: "Startup Script",
    },
    {
      id: derivedUuid(b.id, 7),
      log_source_id: logSources[1]!.id,
      log_path: "/tmp/coder-dotfiles.log",
      script: `coder dotfiles -y "https://github.com/${ownerName}/dotfiles"`,
      cron: "",
      run_on_start: true,
      run_on_stop: false,
      start_blocks_login: false,
      timeout: 300_000_000_000,
      display_name: "Dotfiles",
    },
  ];
  const apps = APPS.map((a, i) => ({
    id: derivedUuid(b.id, 8 + i),
    url: a.url,
    external: a.url.startsWith("https://"),
    slug: a.slug,
    display_name: a.display_name,
    icon: a.icon,
    subdomain: a.subdomain,
    subdomain_name: a.subdomain ? `${a.slug}--main--${ws.name}--${ownerName}` : "",
    sharing_level: "owner",
    healthcheck: { url: `${a.url}/healthz`, interval: 5, threshold: 6 },
    health: up ? "healthy" : "initializing",
    hidden: false,
    open_in: "slim-window",
    statuses: [],
  }));
  const agent: Json = {
    id: agentId,
    parent_id: null,
    created_at: created,
    updated_at: iso(b.completedAt ?? b.createdAt),
    status: up ? "connected" : "connecting",
    lifecycle_state: up ? "ready" : "starting",
    name: "main",
    resource_id: resourceId,
    architecture: "amd64",
    environment_variables: { GIT_AUTHOR_NAME: ownerName, GIT_COMMITTER_NAME: ownerName },
    operating_system: "linux",
    logs_length: up ? 1843 : 0,
    logs_overflowed: false,
    directory: "/home/coder",
    expanded_directory: "/home/coder",
    version: "v2.24.0",
    api_version: "2.4",
    apps,
    latency: up ? { "Frankfurt": { latency_ms: 18.4, preferred: true } } : {},
    connection_timeout_seconds: 120,
    troubleshooting_url: "https://coder.com/docs/admin/templates/troubleshooting",
    subsystems: ["envbox", "exectrace"],
    health: up ? { healthy: true } : { healthy: false, reason: "agent is connecting" },
    display_apps: ["vscode", "vscode_insiders", "web_terminal", "ssh_helper", "port_forwarding_helper"],
    log_sources: logSources,
    scripts,
    startup_script_behavior: "non-blocking",
  };
  if (connected !== undefined) {
    agent["first_connected_at"] = connected;
    agent["last_connected_at"] = iso(now);
    agent["started_at"] = connected;
    agent["ready_at"] = connected;
  }
  const container: Json = {
    id: resourceId,
    created_at: created,
    job_id: b.jobId,
    workspace_transition: b.transition,
    type: "docker_container",
    name: "workspace",
    hide: false,
    icon: "/icon/docker.svg",
    agents: [agent],
    metadata: [
      { key: "image", value: "codercom/enterprise-base:ubuntu", sensitive: false },
      { key: "cpu", value: "4 cores", sensitive: false },
      { key: "memory", value: "8 GiB", sensitive: false },
    ],
    daily_cost: 1,
  };
  return [container, volume];
}
