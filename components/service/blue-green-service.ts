// A blue/green service composed in the runbook's order on any target: the environments, then the
// router's backends (every color reachable by header), the backup snapshot, the health gates, the
// deployment record (which the policies judge), and last the router's weights.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/stack-config";
import { HealthGate } from "../gates/health-gate";
import { DeploymentRecord, SensitiveConfigKey } from "../record/deployment-record";
import { isPromotion } from "../shift/plan";
import { BlueGreenTarget, EnvironmentResource, SnapshotResource } from "../targets/target";
import { Color, COLORS, PKG, ShiftPlan, StableRelease, Weights, otherColor } from "../types";

export interface BlueGreenServiceArgs {
  /** The target the service runs on. */
  target: BlueGreenTarget;
  /** Validated stack config. */
  config: StackConfig;
  /** What this update changes, classified against the last applied state. */
  plan: ShiftPlan;
  /** What keys the backup snapshot (see snapshotTrigger); a new value takes a new snapshot. */
  snapshotTrigger: string;
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
  /** The instant rollback target after this update. */
  readonly stable: StableRelease | undefined;
  /** The backup snapshot guarding the current promotion (absent when backups are off). */
  readonly snapshot?: SnapshotResource;
  /** Each gate's last result. */
  readonly gateResults: Record<string, pulumi.Output<string>> = {};
  readonly announcement!: pulumi.Output<string>;

  constructor(name: string, args: BlueGreenServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:service:BlueGreenService`, name, {}, opts);
    const { config, plan, target } = args;
    const service = config.service.name;
    this.versions = { blue: config.blue.version, green: config.green.version };
    this.stable = plan.nextStable;

    const environments: Partial<Record<Color, EnvironmentResource>> = {};
    for (const color of COLORS) {
      const c = config[color];
      if (!c.version) continue;
      environments[color] = target.environment(
        `${name}-${color}`,
        { service, color, release: { version: c.version, replicas: c.replicas, env: c.env }, serving: (plan.previous?.[color] ?? 0) > 0 },
        { parent: this },
      );
    }

    let snapshot: SnapshotResource | undefined;
    const router = target.router(
      `${name}-router`,
      {
        service,
        weights: plan.next,
        environments,
        // Every color is reachable by header now: snapshot, gate, record; the weights wait for all.
        beforeWeights: (reachable) => {
          snapshot = config.backup.enabled
            ? target.snapshot(`${name}-snapshot`, { service, trigger: args.snapshotTrigger }, { parent: this, dependsOn: reachable })
            : undefined;
          const gates = this.createGates(name, args, Object.keys(environments) as Color[], [...reachable, ...(snapshot ? [snapshot] : [])]);
          const record = this.createRecord(name, args, snapshot, gates);
          return [...(snapshot ? [snapshot] : []), ...gates.map((g) => g.check), record];
        },
      },
      { parent: this, dependsOn: Object.values(environments) },
    );
    this.snapshot = snapshot;
    this.url = router.url;
    this.traffic = router.weights;
    this.registerOutputs({ url: this.url, traffic: this.traffic, versions: this.versions, stable: this.stable, gateResults: this.gateResults });
  }

  /** One gate per color that runs a release; only the color gaining traffic in a promotion checks. */
  private createGates(name: string, args: BlueGreenServiceArgs, colors: Color[], after: pulumi.Resource[]): HealthGate[] {
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
      const gate = new HealthGate(
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
        { parent: this, dependsOn: after },
      );
      this.gateResults[color] = gate.result;
      return gate;
    });
  }

  private createRecord(name: string, args: BlueGreenServiceArgs, snapshot: SnapshotResource | undefined, gates: HealthGate[]): DeploymentRecord {
    const { config, plan } = args;
    const record = new DeploymentRecord(
      `${name}-record`,
      {
        project: args.project,
        stack: args.stack,
        service: config.service.name,
        target: config.target,
        plan,
        versions: this.versions,
        hotfix: config.hotfix,
        maintenance: config.maintenance,
        snapshot: snapshot ? pulumi.all([snapshot.snapshotId, snapshot.takenAt, snapshot.verified]).apply(([snapshotId, takenAt, verified]) => ({ snapshotId, takenAt, verified })) : undefined,
        gates: gates.filter((g) => g.color === plan.towards).map((g) => g.urn),
        sensitiveConfig: args.sensitiveConfig ?? [],
        directory: args.recordDirectory,
        webhookUrl: args.webhookUrl,
      },
      { parent: this, dependsOn: [...(snapshot ? [snapshot] : []), ...gates.map((g) => g.check)] },
    );
    (this as { announcement: pulumi.Output<string> }).announcement = record.announcement;
    return record;
  }
}
