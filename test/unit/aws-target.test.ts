// Unit tests of the aws target (components/targets/aws/ and the components it creates) with
// Pulumi mocks: no AWS account is reachable here. The mocks record every resource the program
// registers, in order, and fail on any provider call (invoke) nobody mocked. A transformation on
// the test's root component records each resource's options (dependsOn, retainOnDelete, protect,
// ignoreChanges), which the mocks never see.
//
// The flow is driven the way BlueGreenService drives a target: environments, the backup, a gate,
// then the router with dependsOn [backup, gate]. Traffic at 0, 10, 50 and 100.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../../components/config/stack-config";
import type * as TargetModule from "../../components/targets/aws/target";
import type * as RouterModule from "../../components/targets/aws/router";
import type * as EnvironmentModule from "../../components/targets/aws/environment";
import type * as BackupModule from "../../components/targets/aws/backup";
import type { AwsConfig } from "../../components/targets/aws/config";
import type { GateEndpoint } from "../../components/targets/target";
import type { Color, ShiftPlan } from "../../components/types";
import { LOAD_TIMEOUT_MS, createRecorder, exampleStack, planFor, startClosureSerializer, valueOf } from "./helpers/mock-recorder";

// ---- mocks that record (test/unit/helpers/mock-recorder.ts) ----------------------------------

const T = {
  lb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  tg: "aws:lb/targetGroup:TargetGroup",
  cluster: "aws:ecs/cluster:Cluster",
  ecsService: "aws:ecs/service:Service",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  role: "aws:iam/role:Role",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  logs: "aws:cloudwatch/logGroup:LogGroup",
  backup: "aws:rds/snapshot:Snapshot",
  gate: "runbook:test:Gate",
};

const arn = (name: string) => `arn:aws:mock:eu-west-1:123456789012:${name}`;

const recorder = createRecorder({
  target: "aws",
  slowTypes: new Set([T.backup, T.gate, T.rule]),
  // What AWS computes and the code reads back: ARNs, generated names, the load balancer's DNS name
  // and the ARN suffixes that are CloudWatch dimensions, and a backup's status.
  decorate(args, state) {
    state.arn = arn(args.name);
    state.name = args.inputs.name ?? `${args.name}-1234567`;
    state.region = args.inputs.region ?? "eu-west-1";
    if (args.type === T.lb) {
      state.arnSuffix = `app/${args.name}/0123456789abcdef`;
      state.dnsName = `${args.name}-123456.eu-west-1.elb.amazonaws.com`;
    }
    if (args.type === T.tg) state.arnSuffix = `targetgroup/${args.name}/00112233aabbccdd`;
    if (args.type === T.backup) state.status = "available";
  },
});
const { rec, mocks, Root, settle, reset, customs, components, one, optionsOf, dependsOnNames } = recorder;
const { driveTarget, assertBackupAfterPreviews, assertTrafficAfterBackupAndGate, assertPromotionOrder } = recorder;

// ---- the code under test, loaded after setMocks -------------------------------------------------

let config: typeof ConfigModule;
let target: typeof TargetModule;
let router: typeof RouterModule;
let environment: typeof EnvironmentModule;
let backupModule: typeof BackupModule;

interface Case {
  green: number;
  blueVersion?: string;
  greenVersion?: string;
}

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app";

function stackConfig(c: Case, awsConfig: Record<string, unknown> = {}): ConfigModule.StackConfig {
  return config.parseStackConfig(stackConfigInput(c, awsConfig));
}

function stackConfigInput(c: Case, awsConfig: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: "aws",
    service: { name: "app" },
    blue: c.blueVersion ? { version: c.blueVersion, replicas: 3 } : { replicas: 3 },
    green: c.greenVersion ? { version: c.greenVersion, replicas: 2, env: { FEATURE_X: "on" } } : {},
    traffic: { green: c.green },
    aws: { image: IMAGE, vpcId: "vpc-0abc", subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-alb"], dbInstanceIdentifier: "shop-db", ...awsConfig },
  };
}

/** Drives the target the way BlueGreenService does, under a root that records options. */
async function deploy(c: Case, awsConfig: Record<string, unknown> = {}) {
  return deployConfig(stackConfig(c, awsConfig));
}

async function deployConfig(cfg: ConfigModule.StackConfig) {
  const traffic = config.configuredTraffic(cfg);
  const t = target.awsTarget(cfg.aws as AwsConfig, { config: cfg, plan: planFor(traffic, "green") });
  // The gate asks for its endpoint where BlueGreenService does: once every color is reachable.
  const driven = await driveTarget(t, cfg, traffic);
  // The gate asks for its endpoint where BlueGreenService does: after the router's backends.
  const gateEndpoint: GateEndpoint = t.gateEndpoint(cfg.service.name, driven.environments);
  return {
    ...driven,
    target: t,
    gateUrl: await valueOf(pulumi.output(gateEndpoint.baseUrl)),
    gateMetrics: gateEndpoint.metrics ? await valueOf(pulumi.output(gateEndpoint.metrics)) : undefined,
    gateDatabaseUrl: gateEndpoint.databaseUrl ? await valueOf(pulumi.output(gateEndpoint.databaseUrl)) : undefined,
  };
}

const SHARED = [
  `${T.cluster}::svc-cluster-ecs`,
  `${T.role}::svc-cluster-execution`,
  `${T.attachment}::svc-cluster-execution-policy`,
  `${T.logs}::svc-cluster-logs`,
  `${T.lb}::svc-alb-lb`,
  `${T.listener}::svc-alb-test`,
];
function environmentResources(color: Color): string[] {
  return [`${T.tg}::svc-${color}-tg`, `${T.rule}::svc-${color}-header`, `${T.task}::svc-${color}-task`, `${T.ecsService}::svc-${color}-service`];
}
const headerCondition = (color: Color) => [{ httpHeader: { httpHeaderName: "X-Runbook-Color", values: [color] } }];

describe("aws target", () => {
  // Loading the code under test is the slow part of this file; it happens here, under its own
  // timeout, so no test carries it (see LOAD_TIMEOUT_MS).
  before(async function () {
    this.timeout(LOAD_TIMEOUT_MS);
    await pulumi.runtime.setMocks(mocks, "deployment-runbook", "production", false);
    /* eslint-disable @typescript-eslint/no-require-imports */
    config = require("../../components/config/stack-config");
    target = require("../../components/targets/aws/target");
    router = require("../../components/targets/aws/router");
    environment = require("../../components/targets/aws/environment");
    backupModule = require("../../components/targets/aws/backup");
    /* eslint-enable @typescript-eslint/no-require-imports */
    await startClosureSerializer();
  });
  beforeEach(reset);
  afterEach(() => assert.deepEqual(rec.unmockedCalls, [], "the target made provider calls nobody mocked"));

  describe("traffic at 0, 10, 50 and 100", () => {
    const table: (Case & { colors: Color[]; forward: { arn: string; weight: number }[] })[] = [
      { green: 0, blueVersion: "v1.4.0", colors: ["blue"], forward: [{ arn: arn("svc-blue-tg"), weight: 100 }] },
      {
        green: 10,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        forward: [
          { arn: arn("svc-blue-tg"), weight: 90 },
          { arn: arn("svc-green-tg"), weight: 10 },
        ],
      },
      {
        green: 50,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        forward: [
          { arn: arn("svc-blue-tg"), weight: 50 },
          { arn: arn("svc-green-tg"), weight: 50 },
        ],
      },
      {
        green: 100,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        forward: [
          { arn: arn("svc-blue-tg"), weight: 0 },
          { arn: arn("svc-green-tg"), weight: 100 },
        ],
      },
      { green: 100, greenVersion: "v1.5.0", colors: ["green"], forward: [{ arn: arn("svc-green-tg"), weight: 100 }] },
    ];

    for (const c of table) {
      const label = `green ${c.green}% with ${c.colors.join(" and ")} running`;

      it(`${label}: creates exactly the shared ALB and cluster, the environments, backup and listener`, async () => {
        await deploy(c);
        assert.deepEqual(
          customs(),
          [
            ...SHARED,
            ...c.colors.flatMap(environmentResources),
            `${T.listener}::svc-router-listener`,
            ...c.colors.map((col) => `${T.rule}::svc-router-${col}-header`),
            `${T.backup}::svc-backup-green-v1-5-0`,
            `${T.gate}::svc-gate`,
          ].sort(),
        );
        assert.deepEqual(
          components(),
          [
            "runbook:test:Root::root",
            "deployment-runbook:aws:AwsCluster::svc-cluster",
            "deployment-runbook:aws:AwsLoadBalancer::svc-alb",
            ...c.colors.map((col) => `deployment-runbook:aws:AwsEnvironment::svc-${col}`),
            "deployment-runbook:aws:AwsBackup::svc-backup",
            "deployment-runbook:aws:AwsRouter::svc-router",
          ].sort(),
        );
        for (const col of ["blue", "green"] as const) {
          if (c.colors.includes(col)) continue;
          assert.ok(!rec.registered.some((r) => r.name.startsWith(`svc-${col}`) || r.name === `svc-router-${col}-header`), `nothing of ${col} may exist without its version`);
        }
      });

      it(`${label}: the listener's default action forwards with the traffic`, async () => {
        const { url, traffic } = await deploy(c);
        const listener = one(T.listener, "svc-router-listener").inputs;
        assert.equal(listener.loadBalancerArn, arn("svc-alb-lb"));
        assert.equal(listener.port, 80);
        assert.equal(listener.protocol, "HTTP");
        assert.deepEqual(listener.defaultActions, [{ type: "forward", forward: { targetGroups: c.forward } }]);
        assert.deepEqual(traffic, { blue: 100 - c.green, green: c.green });
        assert.equal(url, "http://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com");
      });

      it(`${label}: a header rule per running color, on the active and the test listener`, async () => {
        const { gateUrl, gateMetrics } = await deploy(c);
        for (const col of c.colors) {
          const priority = col === "blue" ? 10 : 20;
          const active = one(T.rule, `svc-router-${col}-header`).inputs;
          assert.equal(active.listenerArn, arn("svc-router-listener"));
          assert.equal(active.priority, priority);
          assert.deepEqual(active.conditions, headerCondition(col));
          assert.deepEqual(active.actions, [{ type: "forward", targetGroupArn: arn(`svc-${col}-tg`) }]);
          const header = one(T.rule, `svc-${col}-header`).inputs;
          assert.equal(header.listenerArn, arn("svc-alb-test"));
          assert.equal(header.priority, priority);
          assert.deepEqual(header.conditions, headerCondition(col));
          assert.deepEqual(header.actions, [{ type: "forward", targetGroupArn: arn(`svc-${col}-tg`) }]);
        }
        assert.equal(gateUrl, "http://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com:9000");
        assert.equal(gateMetrics, undefined, "without aws.region the analysis has no CloudWatch to read");
      });

      it(`${label}: the backup and gate wait until every color is reachable by header`, async () => {
        const { reachable } = await deploy(c);
        assertBackupAfterPreviews(reachable, c.colors);
      });

      it(`${label}: the traffic resource waits for the backup and the gate`, async () => {
        await deploy(c);
        await assertTrafficAfterBackupAndGate("svc-router-listener", "listener");
      });
    }
  });

  describe("environments", () => {
    it("runs each release as an ECS Fargate service that never loses capacity and rolls back on failure", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const s = one(T.ecsService, "svc-green-service").inputs;
      assert.equal(s.cluster, arn("svc-cluster-ecs"));
      assert.equal(s.taskDefinition, arn("svc-green-task"));
      assert.equal(s.desiredCount, 2);
      assert.equal(s.launchType, "FARGATE");
      assert.equal(s.deploymentMinimumHealthyPercent, 100);
      assert.equal(s.deploymentMaximumPercent, 200);
      assert.deepEqual(s.deploymentCircuitBreaker, { enable: true, rollback: true });
      assert.equal(s.waitForSteadyState, true);
      assert.deepEqual(s.networkConfiguration, { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-alb"], assignPublicIp: false });
      assert.deepEqual(s.loadBalancers, [{ targetGroupArn: arn("svc-green-tg"), containerName: "app", containerPort: 8080 }]);
      assert.equal(one(T.ecsService, "svc-blue-service").inputs.desiredCount, 3);
    });

    it("creates each ECS service only after its target group is attached to the ALB", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      for (const col of ["blue", "green"] as const) {
        assert.deepEqual(await dependsOnNames(`svc-${col}-service`), [`svc-${col}-header`]);
        assert.ok(
          rec.events.indexOf(`start:svc-${col}-service`) > rec.events.indexOf(`done:svc-${col}-header`),
          `ECS service registered before its header rule: ${rec.events.join(", ")}`,
        );
      }
    });

    it("describes the release in a Fargate task definition", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const task = one(T.task, "svc-green-task").inputs;
      assert.equal(task.family, "app-green");
      assert.deepEqual(task.requiresCompatibilities, ["FARGATE"]);
      assert.equal(task.networkMode, "awsvpc");
      assert.equal(task.cpu, "256");
      assert.equal(task.memory, "512");
      assert.equal(task.executionRoleArn, arn("svc-cluster-execution"));
      assert.deepEqual(JSON.parse(task.containerDefinitions), [
        {
          name: "app",
          image: `${IMAGE}:v1.5.0`,
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: "tcp" }],
          environment: [
            { name: "RUNBOOK_VERSION", value: "v1.5.0" },
            { name: "RUNBOOK_COLOR", value: "green" },
            { name: "FEATURE_X", value: "on" },
          ],
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "svc-cluster-logs-1234567", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "green" },
          },
        },
      ]);
    });

    it("health-checks each target group on /healthz", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      for (const col of ["blue", "green"] as const) {
        const tg = one(T.tg, `svc-${col}-tg`).inputs;
        assert.equal(tg.targetType, "ip");
        assert.equal(tg.vpcId, "vpc-0abc");
        assert.equal(tg.port, 8080);
        assert.equal(tg.protocol, "HTTP");
        assert.deepEqual(tg.healthCheck, {
          enabled: true,
          path: "/healthz",
          port: "traffic-port",
          protocol: "HTTP",
          matcher: "200",
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        });
      }
    });

    it("shares one cluster and ALB per service instance; a second instance gets its own", async () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" });
      const t = target.awsTarget(cfg.aws as AwsConfig, { config: cfg, plan: planFor({ blue: 100, green: 0 }) });
      const root = new Root("root");
      const release = { version: "v1.4.0", replicas: 2, env: {} };
      t.environment("one-blue", { service: "app", color: "blue", release }, { parent: root });
      t.environment("one-green", { service: "app", color: "green", release }, { parent: root });
      t.environment("two-blue", { service: "app", color: "blue", release }, { parent: root });
      await settle();
      const names = rec.registered.map((r) => `${r.type}::${r.name}`);
      assert.equal(new Set(names).size, names.length, `duplicate resources: ${names.join(", ")}`);
      assert.deepEqual(rec.registered.filter((r) => r.type === T.cluster).map((r) => r.name).sort(), ["one-cluster-ecs", "two-cluster-ecs"]);
      assert.deepEqual(rec.registered.filter((r) => r.type === T.lb).map((r) => r.name).sort(), ["one-alb-lb", "two-alb-lb"]);
    });
  });

  describe("router options", () => {
    it("adds stickiness when aws.stickinessSeconds is above 0, and HTTPS with a certificate", async () => {
      const { url } = await deploy(
        { green: 50, blueVersion: "v1.4.0", greenVersion: "v1.5.0" },
        { stickinessSeconds: 3600, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc", listenerPort: 443, testListenerPort: 8443 },
      );
      const listener = one(T.listener, "svc-router-listener").inputs;
      assert.deepEqual(listener.defaultActions[0].forward.stickiness, { enabled: true, duration: 3600 });
      assert.equal(listener.protocol, "HTTPS");
      assert.equal(listener.port, 443);
      assert.equal(listener.certificateArn, "arn:aws:acm:eu-west-1:123456789012:certificate/abc");
      assert.equal(listener.sslPolicy, router.SSL_POLICY);
      assert.equal(one(T.listener, "svc-alb-test").inputs.protocol, "HTTPS");
      assert.equal(url, "https://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com");
    });

    it("puts the ALB in its own subnets and security groups when set, the tasks in theirs", async () => {
      await deploy(
        { green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" },
        { subnetIds: ["subnet-private-a"], loadBalancerSubnetIds: ["subnet-public-a", "subnet-public-b"], loadBalancerSecurityGroupIds: ["sg-public"], securityGroupIds: ["sg-tasks"] },
      );
      const lb = one(T.lb, "svc-alb-lb").inputs;
      assert.deepEqual(lb.subnets, ["subnet-public-a", "subnet-public-b"]);
      assert.deepEqual(lb.securityGroups, ["sg-public"]);
      assert.equal(lb.internal, false);
      const task = one(T.ecsService, "svc-blue-service").inputs.networkConfiguration;
      assert.deepEqual(task, { subnets: ["subnet-private-a"], securityGroups: ["sg-tasks"], assignPublicIp: false });
    });

    it("never sends weight to a color without an environment", () => {
      assert.throws(
        () => router.validateAwsRouterArgs({ service: "app", traffic: { blue: 90, green: 10 }, targetGroups: { blue: "tg-blue" }, loadBalancer: {} as RouterModule.AwsLoadBalancer }),
        { message: "AwsRouter: traffic.green is 10 but green has no environment (set deployment-runbook:green.version)" },
      );
      assert.deepEqual(router.weightedForwardAction({ blue: 100, green: 0 }, { blue: "tg-blue" }), {
        type: "forward",
        forward: { targetGroups: [{ arn: "tg-blue", weight: 100 }] },
      });
    });
  });

  describe("backup", () => {
    it("backups the RDS instance, named after the trigger, retained forever", async () => {
      const before = new Date();
      const { backup } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const s = one(T.backup, "svc-backup-green-v1-5-0").inputs;
      assert.equal(s.dbInstanceIdentifier, "shop-db");
      assert.match(s.dbSnapshotIdentifier, /^app-green-v1-5-0-\d{14}$/);
      assert.equal(s.tags["runbook:trigger"], "green v1.5.0");
      const takenAt = await valueOf(backup.takenAt);
      assert.equal(takenAt, s.tags["runbook:taken-at"]);
      assert.ok(new Date(takenAt) >= new Date(before.getTime() - 1000), `takenAt ${takenAt} is the time of this update`);
      assert.equal(await valueOf(backup.verified), true);
      assert.equal(await valueOf(backup.backupId), s.dbSnapshotIdentifier);
      const opts = optionsOf("svc-backup-green-v1-5-0");
      assert.equal(opts.retainOnDelete, true);
      // protect would make the engine refuse to drop this backup from the stack at the next
      // promotion (its name follows the trigger); retainOnDelete keeps it in the account instead.
      assert.notEqual(opts.protect, true);
      assert.deepEqual(opts.ignoreChanges, ["dbSnapshotIdentifier", 'tags["runbook:taken-at"]']);
    });

    it("derives a valid, unique RDS identifier from the trigger and the time", () => {
      const at = new Date("2025-03-04T05:06:07Z");
      assert.equal(backupModule.backupIdentifier("app", "Green: v1.5.0+build.7", at), "app-green-v1-5-0-build-7-20250304050607");
      assert.throws(() => backupModule.validateAwsBackupArgs({ service: "app", trigger: "---" }), {
        message: 'AwsBackup: trigger must contain a letter or digit (got "---")',
      });
    });
  });

  describe("validation", () => {
    it("refuses a stack without image, VPC or two subnets, naming the keys", () => {
      assert.throws(() => stackConfig({ green: 0, blueVersion: "v1.4.0" }, { image: undefined, vpcId: undefined, subnetIds: ["subnet-a"] }), {
        message:
          "invalid stack config:\n" +
          "  - deployment-runbook:aws.image: is required on the aws target (the image repository; each color's version is the tag)\n" +
          "  - deployment-runbook:aws.vpcId: is required on the aws target (the VPC of the target groups)\n" +
          "  - deployment-runbook:aws.subnetIds: must name at least 2 subnets in different availability zones for the ALB (got 1)",
      });
      assert.deepEqual(rec.registered, []);
    });

    it("refuses a test listener on the active listener's port", () => {
      assert.throws(() => stackConfig({ green: 0, blueVersion: "v1.4.0" }, { testListenerPort: 80 }), {
        message: /deployment-runbook:aws\.testListenerPort: must differ from deployment-runbook:aws\.listenerPort \(both are 80\)/,
      });
    });

    it("refuses task sizes Fargate does not offer", () => {
      assert.throws(
        () =>
          environment.validateAwsEnvironmentArgs({
            service: "app",
            color: "blue",
            release: { version: "v1", replicas: 2, env: {} },
            image: IMAGE,
            cluster: {} as EnvironmentModule.AwsCluster,
            vpcId: "vpc-1",
            subnetIds: ["subnet-a"],
            testListenerArn: "arn",
            cpu: 256,
            memoryMiB: 4096,
          }),
        { message: "AwsEnvironment blue: memoryMiB 4096 is not a Fargate size for cpu 256" },
      );
    });

    it("gives the gates CloudWatch with each color's dimensions, and the addresses from config", async () => {
      const addresses = { region: "eu-west-1", databaseUrl: "postgres://app:pw@shop-db.example:5432/app", redisUrl: "redis://cache.example:6379" };
      const { gateMetrics, gateDatabaseUrl } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, addresses);
      assert.match(String(gateMetrics?.module), /targets\/aws\/cloudwatch-source\.js$/);
      assert.equal(gateMetrics?.factory, "cloudWatchSource");
      assert.deepEqual(gateMetrics?.options, {
        region: "eu-west-1",
        dimensions: {
          blue: { targetGroup: "targetgroup/svc-blue-tg/00112233aabbccdd", loadBalancer: "app/svc-alb-lb/0123456789abcdef" },
          green: { targetGroup: "targetgroup/svc-green-tg/00112233aabbccdd", loadBalancer: "app/svc-alb-lb/0123456789abcdef" },
        },
      });
      assert.equal(gateDatabaseUrl, addresses.databaseUrl);
      assert.deepEqual(stackConfig({ green: 0, blueVersion: "v1.4.0" }, addresses).gates.checks, ["api", "database", "cache", "external", "error-rate", "latency"]);
    });

    it("without addresses, the default gate checks are the ones that can run; asking for more names the key", () => {
      assert.deepEqual(stackConfig({ green: 0, blueVersion: "v1.4.0" }).gates.checks, ["api", "external"]);
      assert.throws(() => config.parseStackConfig({ ...stackConfigInput({ green: 0, blueVersion: "v1.4.0" }), gates: { checks: ["database"] } }), {
        message:
          "invalid stack config:\n" +
          '  - deployment-runbook:gates.checks: "database" cannot run on the aws target without deployment-runbook:aws.databaseUrl (set it, or leave database out of gates.checks)',
      });
    });
  });

  // The whole program's order, through BlueGreenService: the backup, then the gates, then the
  // traffic (see assertPromotionOrder in helpers/mock-recorder.ts).
  describe("BlueGreenService on the aws target", () => {
    it("takes the backup, then runs the gates, then moves the traffic (green 0% -> 10%)", async () => {
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const makeTarget = (plan: ShiftPlan) => target.awsTarget(cfg.aws as AwsConfig, { config: cfg, plan });
      await assertPromotionOrder({ cfg, stack: "production", makeTarget, backupType: "deployment-runbook:aws:AwsBackup", trafficResource: "svc-router-listener" });
    });
  });

  describe("example stack", () => {
    it("stacks/Pulumi.production.yaml is valid and deploys under mocks", async () => {
      const cfg = exampleStack(config, "Pulumi.production.yaml");
      assert.equal(cfg.target, "aws");
      const { url } = await deployConfig(cfg);
    const listener = one(T.listener, "svc-router-listener").inputs;
    assert.deepEqual(listener.defaultActions[0].forward.targetGroups.map((g: { weight: number }) => g.weight), [100, 0]);
    assert.equal(listener.protocol, "HTTPS");
    assert.equal(url, "https://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com");
    });
  });
});
