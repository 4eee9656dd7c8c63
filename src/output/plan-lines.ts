/** The human lines every acting command prints about its plan file (`--plan-out`). */
import type { Plan } from "../domain/plan.js";

export function planFileLines(planFile: string | null, plan: Pick<Plan, "id" | "steps">, applied: boolean): string[] {
  if (!planFile) return [];
  const n = plan.steps.length;
  const head = `📝 Plan ${plan.id} (${n} step${n === 1 ? "" : "s"}) written to ${planFile}`;
  return [applied ? head : `${head}; nothing was changed. Apply it with: coder-agents apply ${planFile}`];
}
