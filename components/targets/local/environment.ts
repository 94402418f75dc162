// One color of a blue/green service on the local target: N processes of one release, kept running
// (and restarted when they crash) by supervisord, scraped by Prometheus.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../../dynamic/lazy-provider";
import * as paths from "./paths";
import { ROLE_PROPERTY, ROLES } from "../../roles";
import { Color, OLD_PKG, PKG, Release, replicasProblem } from "../../types";

export interface LocalEnvironmentArgs {
  /** Stack name, part of every process name so stacks never collide. */
  stack: string;
  /** Service name. */
  service: string;
  /** The color this environment runs. */
  color: Color;
  /** The release: version, replicas and extra environment. */
  release: Release;
  /** First instance port; blue uses basePort.., green basePort+100... Defaults to 18000. */
  basePort?: number;
  /** Simulated work per request of the sample service, in milliseconds. Defaults to 5. */
  workMs?: number;
  /** PostgreSQL URL the instances use (a secret). Defaults to none. */
  databaseUrl?: pulumi.Input<string>;
  /** Redis URL the instances use. Defaults to none. */
  redisUrl?: string;
  /**
   * Wait for each replaced instance to be ready (/readyz) before the next, as a color that serves
   * traffic must; otherwise only for it to start answering. Defaults to true.
   */
  waitForReady?: boolean;
  /** How long one instance may take to become ready. Defaults to 30. */
  startTimeoutSeconds?: number;
  /** The service entry point. Defaults to the bundled sample service. */
  entry?: string;
}

export function validateLocalEnvironmentArgs(a: LocalEnvironmentArgs): void {
  const replicas = replicasProblem(a.release.replicas);
  if (replicas) throw new Error(`LocalEnvironment ${a.color}: release.${replicas}`);
  if (a.basePort !== undefined && (!Number.isInteger(a.basePort) || a.basePort < 1024 || a.basePort > 65335)) {
    throw new Error(`LocalEnvironment ${a.color}: basePort must be an integer from 1024 to 65335 (got ${a.basePort})`);
  }
}

class LocalProcessGroup extends LazyDynamicResource {
  declare readonly ports: pulumi.Output<number[]>;
  declare readonly version: pulumi.Output<string>;
  declare readonly replicas: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super({ module: path.join(__dirname, "environment-provider.js"), export: "localEnvironmentProvider" }, name, { [ROLE_PROPERTY]: ROLES.environment, ...props, ports: undefined }, opts);
  }
}

export class LocalEnvironment extends pulumi.ComponentResource {
  readonly color: Color;
  readonly version: pulumi.Output<string>;
  readonly replicas: pulumi.Output<number>;
  /** Instance ports, for the router. */
  readonly ports: pulumi.Output<number[]>;

  constructor(name: string, args: LocalEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:local:LocalEnvironment`, name, {}, pulumi.mergeOptions(opts, { aliases: [{ type: `${OLD_PKG}:environment:LocalEnvironment` }] }));
    validateLocalEnvironmentArgs(args);
    this.color = args.color;
    const group = new LocalProcessGroup(
      `${name}-processes`,
      {
        stack: args.stack,
        service: args.service,
        color: args.color,
        version: args.release.version,
        replicas: args.release.replicas,
        basePort: args.basePort ?? 18000,
        entry: args.entry ?? path.resolve(__dirname, "..", "..", "..", "sample-service", "server.js"),
        env: args.release.env,
        databaseUrl: args.databaseUrl ? pulumi.secret(args.databaseUrl) : undefined,
        redisUrl: args.redisUrl,
        workMs: args.workMs ?? 5,
        startTimeoutSeconds: args.startTimeoutSeconds ?? 30,
        waitForReady: args.waitForReady ?? true,
        supervisorConfig: paths.supervisorConfig(),
        logsDir: paths.logsDir(),
        prometheusTargetsDir: paths.prometheusTargetsDir(),
      },
      { parent: this, additionalSecretOutputs: ["databaseUrl"] },
    );
    this.version = group.version;
    this.replicas = group.replicas;
    this.ports = group.ports;
    this.registerOutputs({ version: this.version, replicas: this.replicas, ports: this.ports });
  }
}
