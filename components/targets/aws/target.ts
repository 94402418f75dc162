// The aws target: per-color ECS Fargate services behind ALB target groups, ALB listener weights,
// RDS snapshots, CloudWatch metrics for the gates.
import * as pulumi from "@pulumi/pulumi";
import { AwsSnapshot } from "./snapshot";
import { CONFIG_NAMESPACE, StackConfig } from "../../config/stack-config";
import { AwsCluster, AwsEnvironment } from "./environment";
import { TargetGroupDimensions } from "../../gates/cloudwatch-metrics";
import { AwsLoadBalancer, AwsRouter } from "./router";
import { Color, COLORS } from "../../types";
import { BlueGreenTarget, EnvironmentResource, TargetContext } from "../target";

/**
 * Checks what the aws target needs beyond the schema, naming the config keys. Pure: runs before
 * any resource is registered, so a bad stack stops `preview` with nothing changed.
 */
export function validateAwsTargetConfig(config: StackConfig): void {
  const a = config.aws;
  const key = (f: string) => `${CONFIG_NAMESPACE}:aws.${f}`;
  const problems: string[] = [];
  if (!a.image) problems.push(`${key("image")}: is required on the aws target (the image repository; each color's version is the tag)`);
  if (!a.vpcId) problems.push(`${key("vpcId")}: is required on the aws target (the VPC of the target groups)`);
  if (a.subnetIds.length === 0) problems.push(`${key("subnetIds")}: must name at least 1 subnet for the tasks`);
  const lbSubnets = loadBalancerSubnets(config);
  if (lbSubnets.length < 2) {
    const which = a.loadBalancerSubnetIds.length ? "loadBalancerSubnetIds" : "subnetIds";
    problems.push(`${key(which)}: must name at least 2 subnets in different availability zones for the ALB (got ${lbSubnets.length})`);
  }
  if (a.previewListenerPort === a.listenerPort) {
    problems.push(`${key("previewListenerPort")}: must differ from ${key("listenerPort")} (both are ${a.listenerPort})`);
  }
  if (problems.length) throw new Error(`invalid stack config for the aws target:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** The ALB's subnets: its own when set, else the tasks'. */
export function loadBalancerSubnets(config: StackConfig): string[] {
  return config.aws.loadBalancerSubnetIds.length ? config.aws.loadBalancerSubnetIds : config.aws.subnetIds;
}

function loadBalancerSecurityGroups(config: StackConfig): string[] | undefined {
  const a = config.aws;
  const groups = a.loadBalancerSecurityGroupIds.length ? a.loadBalancerSecurityGroupIds : a.securityGroupIds;
  return groups.length ? groups : undefined;
}

/** What both colors of one service share. */
interface Shared {
  service: string;
  cluster: AwsCluster;
  loadBalancer: AwsLoadBalancer;
}

/**
 * The base of an environment's name: BlueGreenService names them `${name}-blue`/`${name}-green`,
 * so both colors of one service instance share `${name}-cluster` and `${name}-alb`, and a second
 * instance gets its own.
 */
export function sharedBaseName(environmentName: string, color: Color): string {
  const suffix = `-${color}`;
  return environmentName.endsWith(suffix) ? environmentName.slice(0, -suffix.length) : environmentName;
}

export interface AwsTarget extends BlueGreenTarget {
  /** The CloudWatch dimensions of a color's metrics (after its environment was created). */
  cloudWatchDimensions(service: string, color: Color): pulumi.Output<TargetGroupDimensions>;
}

export function awsTarget(ctx: TargetContext): AwsTarget {
  const { config } = ctx;
  validateAwsTargetConfig(config);
  const a = config.aws;
  const sharedByBase = new Map<string, Shared>();
  const sharedOfEnvironment = new WeakMap<EnvironmentResource, Shared>();
  const environmentsByService = new Map<string, Partial<Record<Color, AwsEnvironment>>>();

  function sharedFor(name: string, color: Color, service: string, parent: pulumi.Resource | undefined): Shared {
    const base = sharedBaseName(name, color);
    let shared = sharedByBase.get(base);
    if (!shared) {
      // Created once, beside the environments (same parent), before either color's ECS service.
      const cluster = new AwsCluster(`${base}-cluster`, { service }, { parent });
      const loadBalancer = new AwsLoadBalancer(
        `${base}-alb`,
        {
          service,
          subnetIds: loadBalancerSubnets(config),
          securityGroupIds: loadBalancerSecurityGroups(config),
          previewListenerPort: a.previewListenerPort,
          certificateArn: a.certificateArn,
        },
        { parent },
      );
      shared = { service, cluster, loadBalancer };
      sharedByBase.set(base, shared);
    }
    return shared;
  }

  function onlyShared(service: string): Shared {
    const all = [...sharedByBase.values()].filter((s) => s.service === service);
    if (all.length !== 1) {
      throw new Error(`aws target: ${all.length === 0 ? "no" : "more than one"} environment group of service "${service}" exists (create its environments first)`);
    }
    return all[0];
  }

  return {
    name: "aws",
    environment(name, args, opts) {
      const shared = sharedFor(name, args.color, args.service, opts.parent);
      const env = new AwsEnvironment(
        name,
        {
          service: args.service,
          color: args.color,
          release: args.release,
          image: a.image!,
          cluster: shared.cluster,
          vpcId: a.vpcId!,
          subnetIds: a.subnetIds,
          securityGroupIds: a.securityGroupIds.length ? a.securityGroupIds : undefined,
          previewListenerArn: shared.loadBalancer.previewListener.arn,
          cpu: a.cpu,
          memoryMiB: a.memoryMiB,
          containerPort: a.containerPort,
        },
        opts,
      );
      sharedOfEnvironment.set(env, shared);
      environmentsByService.set(args.service, { ...environmentsByService.get(args.service), [args.color]: env });
      return env;
    },
    router(name, args, opts) {
      const targetGroups: Partial<Record<Color, pulumi.Output<string>>> = {};
      let shared: Shared | undefined;
      for (const c of COLORS) {
        const env = args.environments[c];
        if (!env) continue;
        if (!(env instanceof AwsEnvironment)) throw new Error(`aws target: the ${c} environment is not an AwsEnvironment`);
        targetGroups[c] = env.targetGroupArn;
        shared = sharedOfEnvironment.get(env);
      }
      if (!shared) throw new Error(`aws target: router ${name} needs the environments this target created`);
      // Every color is reachable by header once its environment exists (its rule on the preview
      // listener, its ECS service steady): the snapshot and the gates wait for that, and the
      // listener that carries the weights waits for them.
      const waitFor = args.beforeWeights(COLORS.flatMap((c) => args.environments[c] ?? []));
      return new AwsRouter(
        name,
        {
          service: args.service,
          weights: args.weights,
          loadBalancer: shared.loadBalancer,
          targetGroups,
          listenerPort: a.listenerPort,
          certificateArn: a.certificateArn,
          stickinessSeconds: a.stickinessSeconds,
        },
        pulumi.mergeOptions(opts, { dependsOn: waitFor }),
      );
    },
    snapshot(name, args, opts) {
      return new AwsSnapshot(name, { service: args.service, trigger: args.trigger, dbInstanceIdentifier: a.dbInstanceIdentifier }, opts);
    },
    gateEndpoint(service) {
      // The ALB's preview listener: the environments' header rules are there before the router
      // exists or gives the color weight. Metrics come from the target groups in CloudWatch.
      return { baseUrl: onlyShared(service).loadBalancer.previewUrl, metrics: "cloudwatch" };
    },
    cloudWatchDimensions(service, color) {
      const env = environmentsByService.get(service)?.[color];
      if (!env) throw new Error(`aws target: service "${service}" has no ${color} environment`);
      const lb = onlyShared(service).loadBalancer;
      return pulumi.all([env.targetGroupArnSuffix, lb.arnSuffix]).apply(([targetGroup, loadBalancer]) => ({ targetGroup, loadBalancer }));
    },
  };
}
