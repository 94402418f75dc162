// The scale benchmark's program: `bench-scale:services` blue/green services on the local target,
// each with its own name and ports, composed exactly as index.ts composes the one service of a
// real stack (validated config, shift plan, backup trigger, BlueGreenService). Only ever
// previewed: nothing is started, so the ports are never bound.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { configuredTraffic, parseStackConfig } from "../../components/config/stack-config";
import * as paths from "../../components/targets/local/paths";
import { BlueGreenService } from "../../components/service/blue-green-service";
import { planShift, backupTrigger } from "../../components/shift/plan";
import { localTarget } from "../../components/targets/local/target";
import type { LocalConfig } from "../../components/targets/local/config";

const cfg = new pulumi.Config();
const count = cfg.requireNumber("services");
if (!Number.isInteger(count) || count < 1 || count > 100) throw new pulumi.RunError(`bench-scale:services must be an integer from 1 to 100 (got ${count})`);

for (let i = 0; i < count; i++) {
  const name = `svc-${String(i + 1).padStart(3, "0")}`;
  const config = parseStackConfig({
    service: { name },
    blue: { version: "v1.0.0", replicas: 2 },
    green: { version: "v2.0.0", replicas: 2 },
    traffic: { green: 10 },
    // 200 instance ports per service (blue from basePort, green from basePort + 100).
    local: { routerPort: 40000 + i, basePort: 41000 + 200 * i },
  });
  const versions = { blue: config.blue.version, green: config.green.version };
  const plan = planShift(undefined, configuredTraffic(config), versions);
  new BlueGreenService(name, {
    target: localTarget(config.local as LocalConfig, { config, plan }),
    targetName: "local",
    config,
    plan,
    backupTrigger: backupTrigger(plan, versions, undefined, config.backup),
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    recordDirectory: path.join(paths.stateDir(), "records"),
    sensitiveConfig: [],
  });
}

export const services = count;
