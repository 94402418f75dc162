// Opens a stack's service logs through its target (components/targets/<name>/service-logs.ts).
import { registeredTargets, targetDefinition } from "../components/targets/registry";
import "../components/targets/builtin";
import type { ServiceLogs } from "../components/targets/service-logs";
import { UsageError } from "./cli-args";
import { StackInfo } from "./stack-info";

export async function openServiceLogs(stack: StackInfo): Promise<ServiceLogs> {
  const definition = targetDefinition(stack.config.target);
  if (!definition.logs) {
    const readable = registeredTargets().filter((t) => t.logs).map((t) => t.name);
    throw new UsageError(`--env ${stack.name}: stack targets ${definition.name}, whose logs this tool cannot read (it reads the targets: ${readable.join(", ")})`);
  }
  if (definition.name === "kubernetes" && !process.env.RUNBOOK_KUBECTL) await useClusterKubectl();
  return definition.logs(stack.config[definition.name], { stack: stack.name, config: stack.config, providerConfig: stack.providerConfig });
}

/** kubectl from PATH, else the one this project built for its cluster (cached; never built here). */
async function useClusterKubectl(): Promise<void> {
  const { execFileSync } = await import("child_process");
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return;
  } catch {
    // not on PATH
  }
  const { cachedKubernetesBinDir } = await import("./cluster-stack");
  const dir = cachedKubernetesBinDir();
  if (!dir) throw new Error("kubectl is not on PATH and this project's cluster binaries are not built (npm run cluster -- up builds them); or set RUNBOOK_KUBECTL");
  process.env.RUNBOOK_KUBECTL = `${dir}/kubectl`;
}
