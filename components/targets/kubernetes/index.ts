// The kubernetes target: per-color Deployments and Services, Gateway API HTTPRoute traffic (or a
// Service selector switch), VolumeSnapshot backups, gates through the gateway with the header.
import { maintenanceUnsupported } from "../../config/maintenance-config";
import { configuredTraffic } from "../../config/schema-helpers";
import type { CheckName } from "../../gates/gate-config";
import { gateCheckSupport } from "../gate-check-support";
import type { GateCheckSupport, TargetDefinition } from "../target";
import { KubernetesConfig, kubernetesConfigProblems, kubernetesConfigSchema } from "./config";
import { kubernetesResources } from "./resources";

/** The checks need addresses the cluster cannot tell the program: each is enabled by its key. */
export function kubernetesGateChecks(k: KubernetesConfig): GateCheckSupport {
  const needs: [CheckName, string | undefined, string][] = [
    ["database", k.databaseUrl, "kubernetes.databaseUrl"],
    ["cache", k.redisUrl, "kubernetes.redisUrl"],
    ["error-rate", k.prometheusUrl, "kubernetes.prometheusUrl"],
    ["latency", k.prometheusUrl, "kubernetes.prometheusUrl"],
    ["queries", k.prometheusUrl, "kubernetes.prometheusUrl"],
    ["monitoring", k.prometheusUrl, "kubernetes.prometheusUrl"],
    ["infrastructure", k.prometheusUrl, "kubernetes.prometheusUrl"],
  ];
  // infrastructure reads the nodes' node_exporter job in that Prometheus (cluster/cluster.sh runs one).
  return gateCheckSupport(needs);
}

export const kubernetesTargetDefinition: TargetDefinition<KubernetesConfig> = {
  name: "kubernetes",
  configSchema: kubernetesConfigSchema,
  validate: (section, config) => [...kubernetesConfigProblems(section, configuredTraffic(config), config.backup.enabled), ...(section.mode === "service-selector" ? maintenanceUnsupported("kubernetes target in service-selector mode", config.maintenance) : [])],
  gateChecks: kubernetesGateChecks,
  resources: kubernetesResources,
  logs: async (section, ctx) => (await import("./service-logs")).kubernetesServiceLogs(section.namespace, ctx),
  create: async (section, ctx) => (await import("./target")).kubernetesTarget(section, ctx),
};

