// The deployment-runbook program: read and validate the stack config, classify the change against
// what the last `up` applied, and hand both to a blue/green service on the chosen target.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./components/config/read-config";
import { configuredTraffic } from "./components/config/stack-config";
import { BlueGreenService } from "./components/service/blue-green-service";
import { AppliedBackup, AppliedState, backupTrigger, planShift, retirementProblems } from "./components/shift/plan";
import { stateDir } from "./components/state-dir";
import { createTarget } from "./components/targets/registry";
import { isPromotion } from "./components/types";

async function previousState(): Promise<(AppliedState & { backup?: AppliedBackup }) | undefined> {
  // Our own last outputs: the engine reads them from the state, so preview stays free of I/O.
  // `proven` and `snapshot` are the names stacks made before the words were settled used.
  const self = new pulumi.StackReference(`organization/${pulumi.getProject()}/${pulumi.getStack()}`);
  const output = (k: string) => self.getOutputDetails(k).then((d) => d.value);
  const [traffic, versions, stableReleases, proven, backup, snapshot] = await Promise.all(
    ["traffic", "versions", "stableReleases", "proven", "backup", "snapshot"].map(output),
  );
  return traffic ? { traffic, versions, stableReleases: stableReleases ?? proven, backup: backup ?? snapshot } : undefined;
}

// Validated synchronously, before anything else, so bad input fails fast with only its message.
const { config, sensitive } = readStackConfig();

async function main() {
  const versions = { blue: config.blue.version, green: config.green.version };
  const previous = await previousState();
  const problems = retirementProblems(previous, versions);
  if (problems.length) throw new pulumi.RunError(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}\nNothing was changed.`);
  const plan = planShift(previous, configuredTraffic(config), versions);
  const { name: targetName, target } = await createTarget({ config, plan });
  const trigger = backupTrigger(plan, versions, previous?.backup, config.backup);
  const svc = new BlueGreenService(config.service.name, {
    target,
    targetName,
    config,
    plan,
    backupTrigger: trigger,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    recordDirectory: path.join(stateDir(), "records"),
    sensitiveConfig: sensitive,
    webhookUrl: config.notifications.webhookUrl ? pulumi.secret(config.notifications.webhookUrl) : undefined,
  });
  return {
    url: svc.url,
    traffic: svc.traffic,
    versions: svc.versions,
    stableReleases: plan.nextStableReleases,
    stable: plan.nextStable ?? null,
    change: { kind: plan.kind, towards: plan.towards ?? null, hotfix: config.hotfix, deploymentWindowOverridden: config.hotfix && isPromotion(plan.kind) },
    backup: svc.backup
      ? pulumi.all([svc.backup.backupId, svc.backup.takenAt, svc.backup.verified]).apply(([backupId, takenAt, verified]) => ({
          trigger,
          backupId,
          takenAt,
          verified,
        }))
      : null,
    gates: svc.gateResults,
  };
}

export = main();
