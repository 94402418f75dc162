// One color of a blue/green service on the aws target: an ECS Fargate service and task definition
// of one release behind the color's own ALB target group, plus the color's header rule (the
// `X-Runbook-Color` header on the ALB's test listener). AwsCluster holds what both colors of a
// service share: the ECS cluster, the task execution role and the log group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLE_TAG, ROLES } from "../../roles";
import { Color, COLOR_HEADER, PKG, Release, replicasProblem } from "../../types";

export interface AwsClusterArgs {
  /** Service name (`service.name`), a tag on every resource. */
  service: string;
  /** Days the containers' logs are kept. Defaults to 30. */
  logRetentionDays?: number;
}

/** The ECS cluster, task execution role and log group one service's two colors share. */
export class AwsCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly clusterArn: pulumi.Output<string>;

  constructor(name: string, args: AwsClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:aws:AwsCluster`, name, {}, opts);
    const tags = { app: args.service };
    this.cluster = new aws.ecs.Cluster(
      `${name}-ecs`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags },
      { parent: this },
    );
    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-execution-policy`,
      { role: this.executionRole.name, policyArn: aws.types.enums.iam.ManagedPolicy.AmazonECSTaskExecutionRolePolicy },
      { parent: this },
    );
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays ?? 30, tags },
      { parent: this },
    );
    this.clusterArn = this.cluster.arn;
    this.registerOutputs({ clusterArn: this.clusterArn, executionRoleArn: this.executionRole.arn, logGroupName: this.logGroup.name });
  }
}

export interface AwsEnvironmentArgs {
  /** Service name (`service.name`): the container name and a tag. */
  service: string;
  /** The color this environment runs. */
  color: Color;
  /** The release: version, replicas (the desired task count) and extra environment. */
  release: Release;
  /** Image repository without tag; the release version is the tag. No default: required. */
  image: string;
  /** The shared cluster, execution role and log group. No default: required. */
  cluster: AwsCluster;
  /** VPC of the target group. No default: required. */
  vpcId: pulumi.Input<string>;
  /** Subnets the tasks run in. No default: at least one required. */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the tasks. Defaults to the VPC's default security group. */
  securityGroupIds?: pulumi.Input<string>[];
  /** ALB listener the color's header rule is added to. No default: required. */
  testListenerArn: pulumi.Input<string>;
  /** Task CPU in CPU units. Defaults to 256. */
  cpu?: number;
  /** Task memory in MiB. Defaults to 512. */
  memoryMiB?: number;
  /** Port the container listens on. Defaults to 8080. */
  containerPort?: number;
}

/** Fargate's CPU/memory pairs (CPU units -> allowed MiB). */
const FARGATE_MEMORY: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  8192: (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  16384: (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

/** Priority of a color's header rule on a listener (each listener has one rule per color). */
export function headerRulePriority(color: Color): number {
  return color === "blue" ? 10 : 20;
}

/**
 * The rule that sends `X-Runbook-Color: <color>` to the color's target group on a listener: on the
 * test listener (each environment's) and on the active one (the router's) alike.
 */
export function colorHeaderRule(
  name: string,
  listenerArn: pulumi.Input<string>,
  color: Color,
  targetGroupArn: pulumi.Input<string>,
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): aws.lb.ListenerRule {
  return new aws.lb.ListenerRule(
    name,
    {
      listenerArn,
      priority: headerRulePriority(color),
      conditions: [{ httpHeader: { httpHeaderName: COLOR_HEADER, values: [color] } }],
      actions: [{ type: "forward", targetGroupArn }],
      tags,
    },
    opts,
  );
}

/** Throws a message naming each bad field. Pure: tested without mocks. */
export function validateAwsEnvironmentArgs(a: AwsEnvironmentArgs): void {
  const where = `AwsEnvironment ${a.color}`;
  if (!a.image || /[@\s]/.test(a.image) || /:[^/]*$/.test(a.image)) {
    throw new Error(`${where}: image must be a repository without tag or digest, the release version is the tag (got ${JSON.stringify(a.image)})`);
  }
  const replicas = replicasProblem(a.release.replicas);
  if (replicas) throw new Error(`${where}: release.${replicas}`);
  if (a.subnetIds.length === 0) throw new Error(`${where}: subnetIds must name at least one subnet`);
  const cpu = a.cpu ?? 256;
  const memory = a.memoryMiB ?? 512;
  const fits = FARGATE_MEMORY[cpu];
  if (!fits) throw new Error(`${where}: cpu must be one of Fargate's sizes ${Object.keys(FARGATE_MEMORY).join(", ")} (got ${cpu})`);
  if (!fits(memory)) throw new Error(`${where}: memoryMiB ${memory} is not a Fargate size for cpu ${cpu}`);
  for (const k of Object.keys(a.release.env)) {
    if (k === "RUNBOOK_VERSION" || k === "RUNBOOK_COLOR") {
      throw new Error(`${where}: release.env must not set ${k} (the environment sets it from the release)`);
    }
  }
}

export class AwsEnvironment extends pulumi.ComponentResource {
  readonly color: Color;
  readonly version: pulumi.Output<string>;
  readonly replicas: pulumi.Output<number>;
  /** The color's target group, a backend of the router. */
  readonly targetGroup: aws.lb.TargetGroup;
  readonly targetGroupArn: pulumi.Output<string>;
  /** `targetgroup/<name>/<id>`, the CloudWatch dimension of the color's metrics. */
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly service: aws.ecs.Service;
  readonly headerRule: aws.lb.ListenerRule;

  constructor(name: string, args: AwsEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:aws:AwsEnvironment`, name, {}, opts);
    validateAwsEnvironmentArgs(args);
    const { service, color, release } = args;
    const containerPort = args.containerPort ?? 8080;
    const tags = { app: service, color };

    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: "ip",
        port: containerPort,
        protocol: "HTTP",
        // Tasks of a replaced release drain for 30 s instead of the default 300.
        deregistrationDelay: 30,
        healthCheck: {
          enabled: true,
          path: "/healthz",
          port: "traffic-port",
          protocol: "HTTP",
          matcher: "200",
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags,
      },
      { parent: this },
    );

    // ECS refuses to create a service whose target group no load balancer uses yet. This rule
    // attaches the group to the ALB before the service exists, and lets gates reach the color
    // before the router gives it weight.
    this.headerRule = colorHeaderRule(`${name}-header`, args.testListenerArn, color, this.targetGroup.arn, { ...tags, [ROLE_TAG]: ROLES.routerBackends }, { parent: this });

    const environment = [
      { name: "RUNBOOK_VERSION", value: release.version },
      { name: "RUNBOOK_COLOR", value: color },
      ...Object.entries(release.env).map(([k, v]) => ({ name: k, value: v })),
    ];
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `${service}-${color}`,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu ?? 256),
        memory: String(args.memoryMiB ?? 512),
        executionRoleArn: args.cluster.executionRole.arn,
        containerDefinitions: pulumi.jsonStringify([
          {
            name: service,
            image: `${args.image}:${release.version}`,
            essential: true,
            portMappings: [{ containerPort, protocol: "tcp" }],
            environment,
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": args.cluster.logGroup.name,
                "awslogs-region": args.cluster.logGroup.region,
                "awslogs-stream-prefix": color,
              },
            },
          },
        ]),
        tags,
      },
      { parent: this },
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.cluster.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: release.replicas,
        launchType: "FARGATE",
        // A new release never lowers the color's healthy capacity, and a release whose tasks
        // never get healthy is rolled back by ECS to the last task definition that did.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        healthCheckGracePeriodSeconds: 30,
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: args.securityGroupIds ?? [],
          assignPublicIp: false,
        },
        loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: service, containerPort }],
        // The environment is done only when its tasks are running and healthy, before any gate.
        waitForSteadyState: true,
        propagateTags: "SERVICE",
        tags: { ...tags, [ROLE_TAG]: ROLES.environment },
      },
      { parent: this, dependsOn: [this.headerRule] },
    );

    this.color = color;
    this.version = pulumi.output(release.version);
    this.replicas = this.service.desiredCount.apply((n) => n ?? release.replicas);
    this.targetGroupArn = this.targetGroup.arn;
    this.targetGroupArnSuffix = this.targetGroup.arnSuffix;
    this.registerOutputs({
      color,
      version: this.version,
      replicas: this.replicas,
      targetGroupArn: this.targetGroupArn,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
    });
  }
}
