// The deployment-runbook program: read and validate the stack config, classify the change against
// what the last `up` applied, and hand both to a blue/green service on the chosen target.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ChangeEvidence, CiEvidence, StagingEvidence, provenVersionsOf } from "./components/config/predeploy-config";
import { changeEvidence } from "./components/predeploy/change-size";
import { ciEvidence } from "./components/predeploy/ci-result";
import { readStackConfig } from "./components/config/read-config";
import { NOTIFIED_BY_COMMAND_ENV } from "./components/notify/notify-config";
import { configuredTraffic } from "./components/config/stack-config";
import { BlueGreenService } from "./components/service/blue-green-service";
import { AppliedBackup, AppliedState, backupTrigger, planShift, retirementProblems } from "./components/shift/plan";
import { stateDir } from "./components/state-dir";
import { createTarget } from "./components/targets/registry";
import { ShiftPlan, isPromotion } from "./components/types";

async function previousState(): Promise<(AppliedState & { backup?: AppliedBackup }) | undefined> {
  // Our own last outputs: the engine reads them from the state, so preview stays free of I/O.
  // `proven` and `snapshot` are the names stacks made before the words were settled used.
  const self = new pulumi.StackReference(`organization/${pulumi.getProject()}/${pulumi.getStack()}`);
  const output = (k: string) => self.getOutputDetails(k).then((d) => d.value);
  const [traffic, versions, stableReleases, proven, provenReleases, backup, snapshot] = await Promise.all(
    ["traffic", "versions", "stableReleases", "proven", "provenReleases", "backup", "snapshot"].map(output),
  );
  return traffic ? { traffic, versions, stableReleases: stableReleases ?? proven, provenReleases, backup: backup ?? snapshot } : undefined;
}

/**
 * The staging stack's evidence, for a promotion on a stack that names one (`predeploy.stagingStack`):
 * read through a StackReference, judged by the staging-proven policy. Never read for a rollback.
 */
function stagingEvidence(stagingStack: string | undefined, promotion: boolean): pulumi.Output<StagingEvidence> | undefined {
  if (!stagingStack || !promotion) return undefined;
  const ref = new pulumi.StackReference(`organization/${pulumi.getProject()}/${stagingStack}`);
  return pulumi
    .all([ref.getOutputDetails("provenReleases"), ref.getOutputDetails("stableReleases")])
    .apply(([proven, stable]) => ({ stack: stagingStack, provenVersions: provenVersionsOf(proven.value, stable.value) }));
}

/**
 * The release's CI result and the change's size, for a promotion on a stack that asks for them
 * (`predeploy.ci`, `predeploy.changeSize`); judged by the ci-passed and change-size policies.
 */
function checklistEvidence(plan: ShiftPlan): { ci?: CiEvidence; changeSize?: ChangeEvidence } {
  const version = plan.towards ? config[plan.towards].version : undefined;
  if (!isPromotion(plan.kind) || !version) return {};
  const from = plan.stable?.version;
  return {
    ...(config.predeploy.ci ? { ci: ciEvidence(config.predeploy.ci, version, process.cwd()) } : {}),
    ...(config.predeploy.changeSize && from && from !== version ? { changeSize: changeEvidence(config.predeploy.changeSize, from, version, process.cwd()) } : {}),
  };
}

// Validated synchronously, before anything else, so bad input fails fast with only its message.
const { config, sensitive } = readStackConfig();
// Set by scripts/automation.ts for every `up` the rollout commands run.
const announcedByCommand = process.env[NOTIFIED_BY_COMMAND_ENV] === "1";

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
    staging: stagingEvidence(config.predeploy.stagingStack, isPromotion(plan.kind)),
    ...checklistEvidence(plan),
    sensitiveConfig: sensitive,
    // Under the rollout commands (deploy, rollout, rollback) the command notifies for every event
    // itself (components/notify): the record's per-up post would say it twice, and in a rollback's
    // converging up it would wait on the receiver.
    ...(announcedByCommand
      ? {}
      : {
          webhookUrl: config.notifications.webhookUrl ? pulumi.secret(config.notifications.webhookUrl) : undefined,
          signingKey: config.notifications.signingKey ? pulumi.secret(config.notifications.signingKey) : undefined,
        }),
  });
  return {
    url: svc.url,
    traffic: svc.traffic,
    versions: svc.versions,
    stableReleases: plan.nextStableReleases,
    provenReleases: plan.nextProvenReleases,
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
    maintenance: config.maintenance.enabled ? { retryAfterSeconds: config.maintenance.retryAfterSeconds, message: config.maintenance.message } : null,
  };
}

export = main();
