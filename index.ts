// The deployment-runbook program: read and validate the stack config, classify the change against
// what the last `up` applied, and hand both to a blue/green service on the chosen target.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./components/config/read-config";
import { configuredWeights } from "./components/config/stack-config";
import * as paths from "./components/local/paths";
import { BlueGreenService } from "./components/service/blue-green-service";
import { AppliedState, planShift } from "./components/shift/plan";
import { selectTarget } from "./components/targets/select";

async function previousState(): Promise<AppliedState | undefined> {
  // Our own last outputs: the engine reads them from the state, so preview stays free of I/O.
  const self = new pulumi.StackReference(`organization/${pulumi.getProject()}/${pulumi.getStack()}`);
  const [traffic, versions, stable] = await Promise.all(
    ["traffic", "versions", "stable"].map((k) => self.getOutputDetails(k).then((d) => d.value)),
  );
  return traffic ? { traffic, versions, stable } : undefined;
}

async function main() {
  const { config, sensitive } = readStackConfig();
  const versions = { blue: config.blue.version, green: config.green.version };
  const plan = planShift(await previousState(), configuredWeights(config), versions);
  const target = await selectTarget({ config, plan });
  const svc = new BlueGreenService(config.service.name, {
    target,
    config,
    plan,
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
    stable: svc.stable,
    change: { kind: plan.kind, towards: plan.towards ?? null, hotfix: config.hotfix },
  };
}

export = main();
