#!/usr/bin/env node
/**
 * Standalone entry for debugging: `node dist/sim/main.js --scenario demo --port 3000`.
 * Flags: --scenario NAME|FILE --port N --clock ISO --latency-ms N --fault-rate P --rate-limit N
 *        --rate-limit-mode user|ip-path
 *        --frozen --build-delay-ms N --host H
 */
import { parseArgs } from "node:util";
import { runSimulate } from "./cli.js";

const { values } = parseArgs({
  options: {
    scenario: { type: "string" },
    port: { type: "string" },
    clock: { type: "string" },
    "latency-ms": { type: "string" },
    "fault-rate": { type: "string" },
    "rate-limit": { type: "string" },
    "rate-limit-mode": { type: "string" },
    frozen: { type: "boolean" },
    "build-delay-ms": { type: "string" },
    host: { type: "string" },
  },
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const opts = {
  ...(values.scenario !== undefined ? { scenario: values.scenario } : {}),
  ...(values.port !== undefined ? { port: num(values.port) ?? 0 } : {}),
  ...(values.clock !== undefined ? { clock: values.clock } : {}),
  ...(values["latency-ms"] !== undefined ? { latencyMs: num(values["latency-ms"]) ?? 0 } : {}),
  ...(values["fault-rate"] !== undefined ? { faultRate: num(values["fault-rate"]) ?? 0 } : {}),
  ...(values["rate-limit"] !== undefined ? { rateLimit: num(values["rate-limit"]) ?? 0 } : {}),
  ...(values["rate-limit-mode"] !== undefined ? { rateLimitMode: values["rate-limit-mode"] } : {}),
  ...(values.frozen !== undefined ? { frozen: values.frozen } : {}),
  ...(values["build-delay-ms"] !== undefined ? { buildDelayMs: num(values["build-delay-ms"]) ?? 0 } : {}),
  ...(values.host !== undefined ? { host: values.host } : {}),
};

const code = await runSimulate(opts, {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
process.exitCode = code;
