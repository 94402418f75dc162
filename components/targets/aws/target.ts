// The aws target's parts for one update. Each color's header rule lives with its environment (ECS
// refuses a service whose target group no listener uses), so the router's first step has nothing
// to create; the active listener carrying the split is the second. Gates read CloudWatch.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { MetricsSourceSpec } from "../../gates/metrics-source";
import { Color, COLORS } from "../../types";
import type { BlueGreenTarget, EnvironmentResource, TargetContext } from "../target";
import { AwsBackup } from "./backup";
import type { TargetGroupDimensions } from "./cloudwatch-source";
import { AwsConfig, loadBalancerSubnets } from "./config";
import { AwsCluster, AwsEnvironment } from "./environment";
import { AwsLoadBalancer, AwsRouter } from "./router";

function loadBalancerSecurityGroups(a: AwsConfig): string[] | undefined {
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

export function awsTarget(a: AwsConfig, _ctx: TargetContext): BlueGreenTarget {
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
          subnetIds: loadBalancerSubnets(a),
          securityGroupIds: loadBalancerSecurityGroups(a),
          testListenerPort: a.testListenerPort,
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

  /** The CloudWatch dimensions of each color's metrics (after its environment was created). */
  function cloudWatchDimensions(service: string, environments: Partial<Record<Color, EnvironmentResource>>) {
    const lb = onlyShared(service).loadBalancer;
    const dims: Partial<Record<Color, pulumi.Output<TargetGroupDimensions>>> = {};
    for (const c of COLORS) {
      const env = environments[c];
      if (env instanceof AwsEnvironment) dims[c] = pulumi.all([env.targetGroupArnSuffix, lb.arnSuffix]).apply(([targetGroup, loadBalancer]) => ({ targetGroup, loadBalancer }));
    }
    return pulumi.output(dims);
  }

  return {
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
          testListenerArn: shared.loadBalancer.testListener.arn,
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
    routerBackends(_name, args) {
      // Every color is reachable by header once its environment exists (its rule on the test
      // listener, its ECS service steady).
      return { reachable: COLORS.flatMap((c) => args.environments[c] ?? []) };
    },
    routerTraffic(name, args, opts) {
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
      return new AwsRouter(
        name,
        {
          service: args.service,
          traffic: args.traffic,
          loadBalancer: shared.loadBalancer,
          targetGroups,
          listenerPort: a.listenerPort,
          certificateArn: a.certificateArn,
          stickinessSeconds: a.stickinessSeconds,
        },
        pulumi.mergeOptions(opts, { dependsOn: args.after }),
      );
    },
    backup(name, args, opts) {
      return new AwsBackup(name, { service: args.service, trigger: args.trigger, dbInstanceIdentifier: a.dbInstanceIdentifier }, opts);
    },
    gateEndpoint(service, environments) {
      // The ALB's test listener: the environments' header rules are there before the router
      // exists or gives the color traffic. Metrics come from the target groups in CloudWatch.
      const region = a.region;
      const metrics = region
        ? cloudWatchDimensions(service, environments).apply(
            (dimensions): MetricsSourceSpec => ({ module: path.join(__dirname, "cloudwatch-source.js"), factory: "cloudWatchSource", options: { region, dimensions } }),
          )
        : undefined;
      return {
        baseUrl: onlyShared(service).loadBalancer.testUrl,
        databaseUrl: a.databaseUrl ? pulumi.secret(a.databaseUrl) : undefined,
        redisUrl: a.redisUrl ? pulumi.secret(a.redisUrl) : undefined,
        metrics,
      };
    },
  };
}
