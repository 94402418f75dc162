// The local target, the embedded default: supervisord-run processes, nginx, PostgreSQL, Redis and
// Prometheus, all on this machine (scripts/bootstrap-local.sh starts the shared services).
import { CHECK_NAMES } from "../../gates/gate-config";
import { dynamicResources } from "../dynamic-resources";
import type { TargetDefinition } from "../target";
import { LocalConfig, localConfigProblems, localConfigSchema } from "./config";

export const localTargetDefinition: TargetDefinition<LocalConfig> = {
  name: "local",
  configSchema: localConfigSchema,
  validate: (section) => localConfigProblems(section),
  // Every service the checks need runs on this machine.
  gateChecks: () => ({ runnable: [...CHECK_NAMES], missing: {} }),
  resources: dynamicResources,
  logs: async (_section, ctx) => (await import("./service-logs")).localServiceLogs(ctx),
  create: async (section, ctx) => (await import("./target")).localTarget(section, ctx),
};
