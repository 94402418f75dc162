// A blue/green service: two environments, a weighted router, and the deployment record, composed in
// the runbook's order on any target.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/stack-config";
import { DeploymentRecord, SensitiveConfigKey } from "../record/deployment-record";
import { BlueGreenTarget, EnvironmentResource } from "../targets/target";
import { HealthGate } from "../gates/health-gate";
import { isPromotion } from "../shift/plan";
import { Color, COLORS, PKG, ShiftPlan, StableRelease, Weights, otherColor } from "../types";

export interface BlueGreenServiceArgs {
  /** The target the service runs on. */
  target: BlueGreenTarget;
  /** Validated stack config. */
  config: StackConfig;
  /** What this update changes, classified against the last applied state. */
  plan: ShiftPlan;
  /** Project and stack, for the deployment record. */
  project: string;
  stack: string;
  /** Folder the deployment record is written to. */
  recordDirectory: string;
  /** Sensitive-looking config keys and whether each is a secret, for the secrets policy. Defaults to none. */
  sensitiveConfig?: SensitiveConfigKey[];
  /** Webhook the announcement is posted to (a secret). Defaults to none. */
  webhookUrl?: pulumi.Input<string>;
}

export class BlueGreenService extends pulumi.ComponentResource {
  /** The router's address. */
  readonly url: pulumi.Output<string>;
  /** Weights now applied. */
  readonly traffic: pulumi.Output<Weights>;
  /** Release of each color. */
  readonly versions: Partial<Record<Color, string>>;
  /** The release that last served 100% (the instant rollback target). */
  readonly stable: StableRelease | undefined;
  readonly announcement: pulumi.Output<string>;
  /** Each gate's last result. */
  readonly gateResults: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: BlueGreenServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:service:BlueGreenService`, name, {}, opts);
    const { config, plan, target } = args;
    const service = config.service.name;
    const environments: Partial<Record<Color, EnvironmentResource>> = {};
    for (const color of COLORS) {
      const c = config[color];
      if (!c.version) continue;
      environments[color] = target.environment(
        `${name}-${color}`,
        { service, color, release: { version: c.version, replicas: c.replicas, env: c.env } },
        { parent: this },
      );
    }
    const gates: HealthGate[] = [];
    const router = target.router(
      `${name}-router`,
      {
        service,
        weights: plan.next,
        environments,
        // Runs once every color is reachable by header: the gates test the color gaining traffic.
        beforeWeights: (reachable) => {
          gates.push(...this.createGates(name, args, Object.keys(environments) as Color[], reachable));
          return gates.map((g) => g.check);
        },
      },
      { parent: this, dependsOn: Object.values(environments) },
    );
    this.versions = { blue: config.blue.version, green: config.green.version };
    const record = new DeploymentRecord(
      `${name}-record`,
      {
        project: args.project,
        stack: args.stack,
        service,
        target: config.target,
        plan,
        versions: this.versions,
        hotfix: config.hotfix,
        maintenance: config.maintenance,
        gates: gates.filter((g) => g.color === plan.towards).map((g) => g.urn),
        sensitiveConfig: args.sensitiveConfig ?? [],
        directory: args.recordDirectory,
        webhookUrl: args.webhookUrl,
      },
      { parent: this, dependsOn: [router] },
    );
    this.url = router.url;
    this.traffic = router.weights;
    this.stable = plan.nextStable;
    this.announcement = record.announcement;
    this.gateResults = Object.fromEntries(gates.map((g) => [g.color, g.result]));
    this.registerOutputs({ url: this.url, traffic: this.traffic, versions: this.versions, stable: this.stable, gateResults: this.gateResults });
  }

  /** One gate per color that runs a release; only the color gaining traffic in a promotion checks. */
  private createGates(name: string, args: BlueGreenServiceArgs, colors: Color[], reachable: pulumi.Resource[]): HealthGate[] {
    const { config, plan, target } = args;
    const endpoint = target.gateEndpoint(config.service.name);
    return colors.map((color) => {
      const version = config[color].version!;
      const other = otherColor(color);
      const run = plan.towards === color && isPromotion(plan);
      const reason = run
        ? `${plan.kind} toward ${color} ${version}`
        : plan.kind === "rollback" && plan.towards === color
          ? `rollback toward ${color} ${version} is never gated`
          : `no traffic increase toward ${color} in this update (${plan.kind})`;
      return new HealthGate(
        `${name}-${color}-gate`,
        {
          stack: args.stack,
          service: config.service.name,
          color,
          version,
          run,
          reason,
          currentWeights: plan.previous,
          weight: plan.next[color],
          routerUrl: endpoint.baseUrl,
          baseline: config[other].version ? { color: other, version: config[other].version! } : undefined,
          databaseUrl: endpoint.databaseUrl,
          redisUrl: endpoint.redisUrl,
          prometheusUrl: endpoint.prometheusUrl ?? "",
          config: config.gates,
        },
        { parent: this, dependsOn: reachable },
      );
    });
  }
}
