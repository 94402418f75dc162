// The runbook's checklist as a CrossGuard policy pack, one policy per file. Run by the engine from
// this folder (`pulumi preview --policy-pack policies`); the project's npm scripts apply it to
// every `preview` and `up`. Each policy's enforcement level and options can be changed in a
// policy config file (`--policy-pack-config`), e.g.
//   { "deployment-window": { "timeZone": "Europe/Berlin", "now": "2026-11-27T15:00:00Z" },
//     "traffic-step": { "enforcementLevel": "advisory" } }
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./all";

export const pack = new PolicyPack("deployment-runbook", {
  description: "The deployment runbook's checklist: backups, deployment windows, traffic steps, gates, rollback targets, secrets and workload health.",
  // Each policy sets its own level deliberately; a policy without one would fall back to this.
  enforcementLevel: "mandatory",
  policies,
});
