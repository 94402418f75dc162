// A health gate: the runbook's post-deployment checks, run during `pulumi up` before a color gains
// traffic. The router's traffic depend on it.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../dynamic/lazy-provider";
import { ROLE_PROPERTY, ROLES } from "../roles";
import { Color, OLD_PKG, PKG, Traffic } from "../types";
import { GateConfig } from "./gate-config";
import type { MetricsSourceSpec } from "./metrics-source";

export interface HealthGateArgs {
  /** Stack and service, for metric selectors and names. */
  stack: string;
  service: string;
  /** The color under test and its release. */
  color: Color;
  version: string;
  /** Whether this update asks the gate to check (a promotion toward this color). */
  run: boolean;
  /** Why the gate does or does not run, shown in its result. */
  reason: string;
  /** Traffic now applied (undefined on the first deployment) and the percent requested for this color. */
  currentTraffic?: Traffic;
  requestedPercent: number;
  /** Router base URL the checks go through, with X-Runbook-Color. */
  routerUrl: pulumi.Input<string>;
  /** Host header of the checks' requests, for a gateway serving several hosts. Defaults to the URL's. */
  routerHost?: string;
  /** The other color's release, the analysis baseline. Defaults to none (absolute SLOs only). */
  baseline?: { color: Color; version: string };
  /** PostgreSQL URL (a secret) and Redis URL for the database and cache checks. Defaults to none. */
  databaseUrl?: pulumi.Input<string>;
  redisUrl?: pulumi.Input<string>;
  /** Where the analysis reads the colors' metrics. Defaults to none (the analysis is inconclusive). */
  metrics?: pulumi.Input<MetricsSourceSpec>;
  /** A directory whose filesystem the infrastructure check judges. Defaults to "/". */
  hostDiskPath?: string;
  /** Instances of the color, for the monitoring check. */
  replicas?: number;
  /** The `gates.*` stack config. */
  config: GateConfig;
}

class GateCheck extends LazyDynamicResource {
  declare readonly result: pulumi.Output<string>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super({ module: path.join(__dirname, "health-gate-provider.js"), export: "healthGateProvider" }, name, { ...props, result: undefined, checkedAt: undefined }, opts);
  }
}

export class HealthGate extends pulumi.ComponentResource {
  readonly color: Color;
  /** The check's last result (or why it did not run). */
  readonly result: pulumi.Output<string>;
  /** The resource the router's traffic must depend on. */
  readonly check: pulumi.Resource;

  constructor(name: string, args: HealthGateArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:gates:HealthGate`, name, {}, pulumi.mergeOptions(opts, { aliases: [{ type: `${OLD_PKG}:gates:HealthGate` }] }));
    this.color = args.color;
    const check = new GateCheck(
      `${name}-check`,
      {
        [ROLE_PROPERTY]: ROLES.healthGate,
        ...args,
        baseline: args.baseline ?? null,
        currentTraffic: args.currentTraffic ?? null,
        databaseUrl: args.databaseUrl ? pulumi.secret(args.databaseUrl) : undefined,
      },
      { parent: this, additionalSecretOutputs: ["databaseUrl", "redisUrl"] },
    );
    this.check = check;
    this.result = check.result;
    this.registerOutputs({ result: this.result });
  }
}
