// The runbook's checklist as a CrossGuard policy pack, one policy per file. Run by the engine from
// this folder (`pulumi preview --policy-pack policies`); the project's npm scripts apply it to
// every `preview` and `up`. Each policy's enforcement level and options can be changed in a
// policy config file (`--policy-pack-config`), e.g.
//   { "deployment-window": { "timeZone": "Europe/Berlin", "now": "2026-11-27T15:00:00Z" },
//     "traffic-step": { "enforcementLevel": "advisory" } }
import { Policies, PolicyPack } from "@pulumi/policy";
import { awsLoadBalancer } from "./aws-load-balancer";
import { backupAge } from "./backup-age";
import { deploymentWindow } from "./deployment-window";
import { gateBeforeShift } from "./gate-before-shift";
import { kubernetesWorkload } from "./kubernetes-workload";
import { rollbackTargetKept } from "./rollback-target-kept";
import { secrets } from "./secrets";
import { trafficStep } from "./traffic-step";

export const policies: Policies = [
  backupAge,
  deploymentWindow,
  trafficStep,
  gateBeforeShift,
  rollbackTargetKept,
  secrets,
  kubernetesWorkload,
  awsLoadBalancer,
];

export const pack = new PolicyPack("deployment-runbook", {
  description: "The deployment runbook's checklist: backups, deployment windows, traffic steps, gates, rollback targets, secrets and workload health.",
  // Each policy sets its own level deliberately; a policy without one would fall back to this.
  enforcementLevel: "mandatory",
  policies,
});
