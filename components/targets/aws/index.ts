// The aws target: per-color ECS Fargate services behind ALB target groups, ALB listener traffic,
// RDS snapshots as backups, CloudWatch metrics for the gates.
import { maintenanceUnsupported } from "../../config/maintenance-config";
import type { CheckName } from "../../gates/gate-config";
import { gateCheckSupport } from "../gate-check-support";
import type { GateCheckSupport, TargetDefinition } from "../target";
import { AwsConfig, awsConfigProblems, awsConfigSchema } from "./config";
import { awsResources } from "./resources";

/** Database and cache need their addresses; the analysis needs the region of CloudWatch. */
export function awsGateChecks(a: AwsConfig): GateCheckSupport {
  const needs: [CheckName, string | undefined, string][] = [
    ["database", a.databaseUrl, "aws.databaseUrl"],
    ["cache", a.redisUrl, "aws.redisUrl"],
    ["error-rate", a.region, "aws.region"],
    ["latency", a.region, "aws.region"],
  ];
  const promql = "its metrics source is CloudWatch, and the check reads Prometheus (PromQL)";
  return gateCheckSupport(needs, { queries: promql, infrastructure: promql, monitoring: promql });
}

export const awsTargetDefinition: TargetDefinition<AwsConfig> = {
  name: "aws",
  configSchema: awsConfigSchema,
  validate: (section, config) => [...awsConfigProblems(section), ...maintenanceUnsupported("aws target", config.maintenance)],
  gateChecks: awsGateChecks,
  resources: awsResources,
  create: async (section, ctx) => (await import("./target")).awsTarget(section, ctx),
};
