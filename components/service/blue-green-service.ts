// A blue/green service composed in the runbook's order on any target. The order is this
// component's, not the target's: the environments, then the router's backends (every color
// reachable by header), the backup, the health gates, the deployment record (which the policies
// judge), and last the router's traffic, which depends on the backup, the gates and the record.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/stack-config";
import { maintenancePage } from "../config/maintenance-config";
import type { ChangeEvidence, CiEvidence, StagingEvidence } from "../config/predeploy-config";
import { HealthGate } from "../gates/health-gate";
import { DeploymentRecord, SensitiveConfigKey } from "../record/deployment-record";
import { BackupResource, BlueGreenTarget, EnvironmentResource, GateEndpoint } from "../targets/target";
import { Color, COLORS, OLD_PKG, PKG, ShiftPlan, StableRelease, Traffic, isPromotion, otherColor } from "../types";

export interface BlueGreenServiceArgs {
  /** The target the service runs on. */
  target: BlueGreenTarget;
  /** The target's name, for the record. */
  targetName: string;
  /** Validated stack config. */
  config: StackConfig;
  /** What this update changes, classified against the last applied state. */
  plan: ShiftPlan;
  /** What keys the backup (see backupTrigger); a new value takes a new backup. */
  backupTrigger: string;
  /** Project and stack, for the deployment record. */
  project: string;
  stack: string;
  /** Folder the deployment record is written to. */
  recordDirectory: string;
  /** What the staging stack ran at 100%, for a promotion on a stack with `predeploy.stagingStack`. */
  staging?: pulumi.Input<StagingEvidence>;
  /** The release's CI result and the change's size (`predeploy.ci`, `predeploy.changeSize`), for a promotion. */
  ci?: CiEvidence;
  changeSize?: ChangeEvidence;
  /** Sensitive-looking config keys and whether each is a secret, for the secrets policy. Defaults to none. */
  sensitiveConfig?: SensitiveConfigKey[];
  /** Webhook the announcement is posted to (a secret). Defaults to none. */
  webhookUrl?: pulumi.Input<string>;
  /** Key the post to `webhookUrl` is signed with (a secret). Defaults to none. */
  signingKey?: pulumi.Input<string>;
}

export class BlueGreenService extends pulumi.ComponentResource {
  /** The router's address. */
  readonly url: pulumi.Output<string>;
  /** The split now applied. */
  readonly traffic: pulumi.Output<Traffic>;
  /** Release of each color. */
  readonly versions: Partial<Record<Color, string>>;
  /** The stable release kept as the instant rollback target after this update. */
  readonly stable: StableRelease | undefined;
  /** The backup guarding the current promotion (absent when backups are off). */
  readonly backup?: BackupResource;
  /** Each gate's last result. */
  readonly gateResults: Record<string, pulumi.Output<string>> = {};
  readonly announcement: pulumi.Output<string>;

  constructor(name: string, args: BlueGreenServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:service:BlueGreenService`, name, {}, pulumi.mergeOptions(opts, { aliases: [{ type: `${OLD_PKG}:service:BlueGreenService` }] }));
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
    const envs = Object.values(environments);

    // Step 1: every color reachable by header. Everything after waits for it.
    const backends = target.routerBackends(`${name}-router`, { service, environments }, { parent: this, dependsOn: envs });
    const reachable = [...envs, ...backends.reachable];

    this.backup = config.backup.enabled
      ? target.backup(`${name}-backup`, { service, trigger: args.backupTrigger }, { parent: this, dependsOn: reachable })
      : undefined;
    const backup = this.backup ? [this.backup] : [];
    const endpoint = target.gateEndpoint(service, environments);
    const gates = (Object.keys(environments) as Color[]).map((color) => this.gate(name, args, endpoint, color, [...reachable, ...backup]));
    const record = this.record(name, args, gates);

    // Step 2: the split, only after the backup, the gates and the record.
    const router = target.routerTraffic(
      `${name}-router`,
      { service, traffic: plan.next, maintenance: maintenancePage(config.maintenance), environments, backends, after: [...backup, ...gates.map((g) => g.check), record] },
      { parent: this, dependsOn: reachable },
    );
    this.url = router.url;
    this.traffic = router.traffic;
    this.announcement = record.announcement;
    this.registerOutputs({ url: this.url, traffic: this.traffic, versions: this.versions, stable: this.stable, gateResults: this.gateResults });
  }

  /** One gate per color that runs a release; only the color a promotion moves toward checks. */
  private gate(name: string, args: BlueGreenServiceArgs, endpoint: GateEndpoint, color: Color, after: pulumi.Resource[]): HealthGate {
    const { config, plan } = args;
    const version = config[color].version!;
    const other = otherColor(color);
    const run = plan.towards === color && isPromotion(plan.kind);
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
        currentTraffic: plan.previous,
        requestedPercent: plan.next[color],
        routerUrl: endpoint.baseUrl,
        ...(endpoint.host ? { routerHost: endpoint.host } : {}),
        baseline: config[other].version ? { color: other, version: config[other].version! } : undefined,
        databaseUrl: endpoint.databaseUrl,
        redisUrl: endpoint.redisUrl,
        metrics: endpoint.metrics,
        // Only when judged: an input more would update every existing stack's gate.
        ...(endpoint.hostDiskPath && config.gates.checks.includes("infrastructure") ? { hostDiskPath: endpoint.hostDiskPath } : {}),
        ...(config.gates.checks.includes("monitoring") ? { replicas: config[color].replicas } : {}),
        config: config.gates,
      },
      { parent: this, dependsOn: after },
    );
    this.gateResults[color] = gate.result;
    return gate;
  }

  private record(name: string, args: BlueGreenServiceArgs, gates: HealthGate[]): DeploymentRecord {
    const { config, plan } = args;
    const backup = this.backup;
    return new DeploymentRecord(
      `${name}-record`,
      {
        project: args.project,
        stack: args.stack,
        service: config.service.name,
        target: args.targetName,
        plan,
        versions: this.versions,
        hotfix: config.hotfix,
        maintenance: config.maintenance.enabled,
        ...(args.staging ? { staging: args.staging } : {}),
        ...(args.ci ? { ci: args.ci } : {}),
        ...(args.changeSize ? { changeSize: args.changeSize } : {}),
        backup: backup ? pulumi.all([backup.backupId, backup.takenAt, backup.verified]).apply(([backupId, takenAt, verified]) => ({ backupId, takenAt, verified })) : undefined,
        backupRefreshAfterMinutes: config.backup.refreshAfterMinutes,
        gates: gates.filter((g) => g.color === plan.towards).map((g) => g.urn),
        sensitiveConfig: args.sensitiveConfig ?? [],
        directory: args.recordDirectory,
        webhookUrl: args.webhookUrl,
        signingKey: args.signingKey,
      },
      { parent: this, dependsOn: [...(backup ? [backup] : []), ...gates.map((g) => g.check)] },
    );
  }
}
