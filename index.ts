// The deployment-runbook program: read and validate the stack config, classify the change against
// what the last `up` applied, and hand both to a blue/green service on the chosen target.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./components/config/read-config";
import { configuredWeights } from "./components/config/stack-config";
import * as paths from "./components/targets/local/paths";
import { BlueGreenService } from "./components/service/blue-green-service";
import { AppliedSnapshot, AppliedState, planShift, retirementProblems, snapshotTrigger } from "./components/shift/plan";
import { selectTarget } from "./components/targets/select";

async function previousState(): Promise<(AppliedState & { snapshot?: AppliedSnapshot }) | undefined> {
  // Our own last outputs: the engine reads them from the state, so preview stays free of I/O.
  const self = new pulumi.StackReference(`organization/${pulumi.getProject()}/${pulumi.getStack()}`);
  const [traffic, versions, proven, snapshot] = await Promise.all(
    ["traffic", "versions", "proven", "snapshot"].map((k) => self.getOutputDetails(k).then((d) => d.value)),
  );
  return traffic ? { traffic, versions, proven, snapshot } : undefined;
}

// Validated synchronously, before anything else, so bad input fails fast with only its message.
const { config, sensitive } = readStackConfig();

async function main() {
  const versions = { blue: config.blue.version, green: config.green.version };
  const previous = await previousState();
  const problems = retirementProblems(previous, versions);
  if (problems.length) throw new pulumi.RunError(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}\nNothing was changed.`);
  const plan = planShift(previous, configuredWeights(config), versions);
  const target = await selectTarget({ config, plan });
  const snapshotTriggerValue = snapshotTrigger(plan, versions, previous?.snapshot, config.backup);
  const svc = new BlueGreenService(config.service.name, {
    target,
    config,
    plan,
    snapshotTrigger: snapshotTriggerValue,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    recordDirectory: path.join(paths.stateDir(), "records"),
    sensitiveConfig: sensitive,
    webhookUrl: config.notifications.webhookUrl ? pulumi.secret(config.notifications.webhookUrl) : undefined,
  });
  return {
    url: svc.url,
    traffic: svc.traffic,
    versions: svc.versions,
    proven: plan.nextProven,
    rollbackTarget: plan.nextStable ?? null,
    change: { kind: plan.kind, towards: plan.towards ?? null, hotfix: config.hotfix, deploymentWindowOverridden: config.hotfix && plan.kind !== "rollback" && plan.kind !== "hold" },
    snapshot: svc.snapshot
      ? pulumi.all([svc.snapshot.snapshotId, svc.snapshot.takenAt, svc.snapshot.verified]).apply(([snapshotId, takenAt, verified]) => ({
          trigger: snapshotTriggerValue,
          snapshotId,
          takenAt,
          verified,
        }))
      : null,
    gates: svc.gateResults,
  };
}

export = main();
