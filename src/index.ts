/**
 * The package entry point (`import { calculateAutostop } from "coder-agents"`): the pure port of
 * Coder's `CalculateAutostop` (deadline and max_deadline of a workspace build), for scripts that
 * want the same prediction this CLI makes.
 */
export {
  calculateAutostop,
  autostopRequirementNextMaxDeadline,
  leewayHoursForVersion,
  AutostopCalculationError,
  DEFAULT_AUTOSTOP_LEEWAY_HOURS,
} from "./domain/autostop-calc.js";
export type {
  CalculateAutostopInput,
  AutostopResult,
  AutostopRequirementInput,
  AutostopFailure,
} from "./domain/autostop-calc.js";
