// Every policy of the pack, without starting it: the pack's entry point (index.ts) serves them,
// and `npm run pulumi` reads their names to check a policy config before the engine runs.
import { Policies } from "@pulumi/policy";
import { awsLoadBalancer } from "./aws-load-balancer";
import { backupAge } from "./backup-age";
import { changeSize } from "./change-size";
import { ciPassed } from "./ci-passed";
import { deploymentWindow } from "./deployment-window";
import { gateBeforeShift } from "./gate-before-shift";
import { kubernetesWorkload } from "./kubernetes-workload";
import { stableKept } from "./stable-kept";
import { secrets } from "./secrets";
import { stagingProven } from "./staging-proven";
import { trafficStep } from "./traffic-step";

export const policies: Policies = [
  backupAge,
  deploymentWindow,
  trafficStep,
  gateBeforeShift,
  stableKept,
  stagingProven,
  ciPassed,
  changeSize,
  secrets,
  kubernetesWorkload,
  awsLoadBalancer,
];
