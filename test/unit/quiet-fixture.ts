/** Workspace objects for the quiet-hours unit tests, parsed through the real response schema. */
import { workspaceSchema, type Workspace } from "../../src/coder/schemas.js";

export interface WsSpec {
  id?: string;
  owner?: string;
  name?: string;
  template?: string;
  templateId?: string;
  templateDisplay?: string;
  status?: string;
  startedAt: string;
  deadline?: string | null;
  maxDeadline?: string | null;
  buildId?: string;
  jobStatus?: string;
}

let seq = 0;
export function ws(s: WsSpec): Workspace {
  seq++;
  const status = s.status ?? "running";
  return workspaceSchema.parse({
    id: s.id ?? `ws-${seq}`,
    created_at: "2025-01-01T00:00:00Z",
    owner_id: `u-${s.owner ?? "alice"}`,
    owner_name: s.owner ?? "alice",
    organization_id: "org-1",
    organization_name: "engineering",
    template_id: s.templateId ?? `tpl-${s.template ?? "python-dev"}`,
    template_name: s.template ?? "python-dev",
    template_display_name: s.templateDisplay ?? "Python Dev",
    name: s.name ?? `dev${seq}`,
    latest_build: {
      id: s.buildId ?? `b-${seq}`,
      created_at: s.startedAt,
      build_number: 1,
      transition: "start",
      status,
      job: { id: `j-${seq}`, status: s.jobStatus ?? (status === "running" ? "succeeded" : "running") },
      deadline: s.deadline ?? null,
      max_deadline: s.maxDeadline ?? null,
    },
    last_used_at: s.startedAt,
  });
}
