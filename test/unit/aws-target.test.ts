// Unit tests of the aws target (components/targets/aws.ts and the components it creates) with
// Pulumi mocks: no AWS account is reachable here. The mocks record every resource the program
// registers, in order, and fail on any provider call (invoke) nobody mocked. A transformation on
// the test's root component records each resource's options (dependsOn, retainOnDelete, protect,
// ignoreChanges), which the mocks never see.
//
// The flow is driven the way BlueGreenService drives a target: environments, the snapshot, a gate,
// then the router with dependsOn [snapshot, gate]. Traffic at 0, 10, 50 and 100.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../../components/config/stack-config";
import type * as TargetModule from "../../components/targets/aws";
import type * as RouterModule from "../../components/router/aws-router";
import type * as EnvironmentModule from "../../components/environment/aws-environment";
import type * as SnapshotModule from "../../components/backup/aws-snapshot";
import type { EnvironmentResource, GateEndpoint, SnapshotResource } from "../../components/targets/target";
import type { Color, ShiftPlan, Weights } from "../../components/types";

// ---- mocks that record ------------------------------------------------------------------------

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  custom: boolean;
}
interface Constructed {
  type: string;
  name: string;
  opts: pulumi.ResourceOptions;
  resource: pulumi.Resource;
}

const rec = {
  registered: [] as Registered[],
  constructed: [] as Constructed[],
  /** "start:<name>" when the engine gets a registration, "done:<name>" when it completes. */
  events: [] as string[],
  unmockedCalls: [] as string[],
};

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
  snapshot: "aws:rds/snapshot:Snapshot",
  gate: "runbook:test:Gate",
};

/** Resource types whose registration the mocks make slow, to show what waits for them. */
const SLOW_TYPES = new Set([T.snapshot, T.gate, T.rule]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mocks: pulumi.runtime.Mocks = {
  async newResource(args) {
    rec.events.push(`start:${args.name}`);
    rec.registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? false });
    if (SLOW_TYPES.has(args.type)) await sleep(40);
    const state: Record<string, unknown> = {
      ...args.inputs,
      arn: `arn:aws:mock:eu-west-1:123456789012:${args.name}`,
      name: args.inputs.name ?? `${args.name}-1234567`,
      region: args.inputs.region ?? "eu-west-1",
    };
    if (args.type === T.lb) {
      state.arnSuffix = `app/${args.name}/0123456789abcdef`;
      state.dnsName = `${args.name}-123456.eu-west-1.elb.amazonaws.com`;
    }
    if (args.type === T.tg) state.arnSuffix = `targetgroup/${args.name}/00112233aabbccdd`;
    if (args.type === T.snapshot) state.status = "available";
    rec.events.push(`done:${args.name}`);
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    rec.unmockedCalls.push(args.token);
    throw new Error(`unmocked call ${args.token}: the aws target must not invoke provider functions`);
  },
};

const recordOptions: pulumi.ResourceTransformation = (a) => {
  rec.constructed.push({ type: a.type, name: a.name, opts: a.opts, resource: a.resource });
  return undefined;
};

class Root extends pulumi.ComponentResource {
  constructor(name: string) {
    super("runbook:test:Root", name, {}, { transformations: [recordOptions] });
  }
}

/** Stands in for a health gate: a resource the router must wait for. */
class Gate extends pulumi.CustomResource {
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super("runbook:test:Gate", name, {}, opts);
  }
}

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Waits until every constructed resource is registered with the (mock) engine. */
async function settle(): Promise<void> {
  await Promise.all(rec.constructed.map((c) => valueOf(c.resource.urn)));
}

function reset(): void {
  rec.registered = [];
  rec.constructed = [];
  rec.events = [];
  rec.unmockedCalls = [];
}

const customs = () => rec.registered.filter((r) => r.custom).map((r) => `${r.type}::${r.name}`).sort();
const components = () => rec.registered.filter((r) => !r.custom).map((r) => `${r.type}::${r.name}`).sort();
function one(type: string, name: string): Registered {
  const found = rec.registered.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length} among\n  ${customs().join("\n  ")}`);
  return found[0];
}
function optionsOf(name: string): pulumi.ResourceOptions {
  const found = rec.constructed.filter((c) => c.name === name);
  assert.equal(found.length, 1, `expected one constructed ${name}`);
  return found[0].opts;
}
function nameOf(r: pulumi.Resource): string {
  const found = rec.constructed.find((c) => c.resource === r);
  assert.ok(found, "dependsOn names a resource this test did not construct");
  return found.name;
}
async function dependsOnNames(name: string): Promise<string[]> {
  const d = optionsOf(name).dependsOn;
  const list = d === undefined ? [] : await valueOf(pulumi.output(d as pulumi.Input<pulumi.Input<pulumi.Resource>[]>));
  return (Array.isArray(list) ? list : [list]).map((r) => nameOf(r as pulumi.Resource)).sort();
}
const arn = (name: string) => `arn:aws:mock:eu-west-1:123456789012:${name}`;

/** Every recorded resource below `r` in the parent tree. */
function descendantsOf(r: pulumi.Resource): Constructed[] {
  const below = (p: pulumi.Resource): Constructed[] =>
    rec.constructed.filter((c) => c.opts.parent === p).flatMap((c) => [c, ...below(c.resource)]);
  return below(r);
}

/** An example stack file of stacks/, as the engine hands it to the program. */
function exampleStack(file: string): ConfigModule.StackConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml: { load(text: string): unknown } = require("js-yaml"); // a dependency of @pulumi/pulumi
  const doc = yaml.load(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "stacks", file), "utf8")) as { config: Record<string, unknown> };
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config)) flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  return config.parseStackConfig(config.nestConfig(flat));
}

// ---- the code under test, loaded after setMocks -------------------------------------------------

let config: typeof ConfigModule;
let target: typeof TargetModule;
let router: typeof RouterModule;
let environment: typeof EnvironmentModule;
let snapshotModule: typeof SnapshotModule;

interface Case {
  green: number;
  blueVersion?: string;
  greenVersion?: string;
}

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app";

function stackConfig(c: Case, awsConfig: Record<string, unknown> = {}): ConfigModule.StackConfig {
  return config.parseStackConfig({
    target: "aws",
    service: { name: "app" },
    blue: c.blueVersion ? { version: c.blueVersion, replicas: 3 } : { replicas: 3 },
    green: c.greenVersion ? { version: c.greenVersion, replicas: 2, env: { FEATURE_X: "on" } } : {},
    traffic: { green: c.green },
    aws: { image: IMAGE, vpcId: "vpc-0abc", subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-alb"], dbInstanceIdentifier: "shop-db", ...awsConfig },
  });
}

/** The targets read only `next` and `towards` of the plan. */
function planFor(next: Weights, towards?: Color): ShiftPlan {
  const p: Pick<ShiftPlan, "kind" | "next" | "towards"> = { kind: "promote", next, towards };
  return p as ShiftPlan;
}

/** Drives the target the way BlueGreenService does, under a root that records options. */
async function deploy(c: Case, awsConfig: Record<string, unknown> = {}) {
  return deployConfig(stackConfig(c, awsConfig));
}

async function deployConfig(cfg: ConfigModule.StackConfig) {
  const weights = config.configuredWeights(cfg);
  const service = cfg.service.name;
  const t = target.awsTarget({ config: cfg, plan: planFor(weights, "green") });
  const root = new Root("root");
  const environments: Partial<Record<Color, EnvironmentResource>> = {};
  for (const color of ["blue", "green"] as const) {
    const r = cfg[color];
    if (!r.version) continue;
    environments[color] = t.environment(`svc-${color}`, { service, color, release: { version: r.version, replicas: r.replicas, env: r.env } }, { parent: root });
  }
  let snapshot: SnapshotResource | undefined;
  let reachable: pulumi.Resource[] | undefined;
  let gateEndpoint: GateEndpoint | undefined;
  const r = t.router(
    "svc-router",
    {
      service,
      weights,
      environments,
      // As BlueGreenService does: snapshot, then gate, once every color is reachable by header.
      beforeWeights: (ready) => {
        reachable = ready;
        gateEndpoint = t.gateEndpoint(service);
        snapshot = t.snapshot("svc-snapshot", { service, trigger: "green v1.5.0" }, { parent: root, dependsOn: ready });
        return [snapshot, new Gate("svc-gate", { parent: root, dependsOn: [...ready, snapshot] })];
      },
    },
    { parent: root },
  );
  await settle();
  assert.ok(snapshot && reachable && gateEndpoint, "the router never called beforeWeights");
  return {
    target: t,
    router: r,
    snapshot,
    reachable,
    gateUrl: await valueOf(pulumi.output(gateEndpoint.baseUrl)),
    gateMetrics: gateEndpoint.metrics,
    url: await valueOf(r.url),
    weights: await valueOf(r.weights),
  };
}

const SHARED = [
  `${T.cluster}::svc-cluster-ecs`,
  `${T.role}::svc-cluster-execution`,
  `${T.attachment}::svc-cluster-execution-policy`,
  `${T.logs}::svc-cluster-logs`,
  `${T.lb}::svc-alb-lb`,
  `${T.listener}::svc-alb-preview`,
];
function environmentResources(color: Color): string[] {
  return [`${T.tg}::svc-${color}-tg`, `${T.rule}::svc-${color}-preview`, `${T.task}::svc-${color}-task`, `${T.ecsService}::svc-${color}-service`];
}
const headerCondition = (color: Color) => [{ httpHeader: { httpHeaderName: "X-Runbook-Color", values: [color] } }];

describe("aws target", () => {
  before(async () => {
    await pulumi.runtime.setMocks(mocks, "deployment-runbook", "production", false);
    /* eslint-disable @typescript-eslint/no-require-imports */
    config = require("../../components/config/stack-config");
    target = require("../../components/targets/aws");
    router = require("../../components/router/aws-router");
    environment = require("../../components/environment/aws-environment");
    snapshotModule = require("../../components/backup/aws-snapshot");
    /* eslint-enable @typescript-eslint/no-require-imports */
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

      it(`${label}: creates exactly the shared ALB and cluster, the environments, snapshot and listener`, async () => {
        await deploy(c);
        assert.deepEqual(
          customs(),
          [
            ...SHARED,
            ...c.colors.flatMap(environmentResources),
            `${T.listener}::svc-router-listener`,
            ...c.colors.map((col) => `${T.rule}::svc-router-${col}-header`),
            `${T.snapshot}::svc-snapshot-green-v1-5-0`,
            `${T.gate}::svc-gate`,
          ].sort(),
        );
        assert.deepEqual(
          components(),
          [
            "runbook:test:Root::root",
            "runbook:environment:AwsCluster::svc-cluster",
            "runbook:router:AwsLoadBalancer::svc-alb",
            ...c.colors.map((col) => `runbook:environment:AwsEnvironment::svc-${col}`),
            "runbook:backup:AwsSnapshot::svc-snapshot",
            "runbook:router:AwsRouter::svc-router",
          ].sort(),
        );
        for (const col of ["blue", "green"] as const) {
          if (c.colors.includes(col)) continue;
          assert.ok(!rec.registered.some((r) => r.name.startsWith(`svc-${col}`) || r.name === `svc-router-${col}-header`), `nothing of ${col} may exist without its version`);
        }
      });

      it(`${label}: the listener's default action forwards with the weights`, async () => {
        const { url, weights } = await deploy(c);
        const listener = one(T.listener, "svc-router-listener").inputs;
        assert.equal(listener.loadBalancerArn, arn("svc-alb-lb"));
        assert.equal(listener.port, 80);
        assert.equal(listener.protocol, "HTTP");
        assert.deepEqual(listener.defaultActions, [{ type: "forward", forward: { targetGroups: c.forward } }]);
        assert.deepEqual(weights, { blue: 100 - c.green, green: c.green });
        assert.equal(url, "http://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com");
      });

      it(`${label}: a header rule per running color, on the active and the preview listener`, async () => {
        const { gateUrl, gateMetrics } = await deploy(c);
        for (const col of c.colors) {
          const priority = col === "blue" ? 10 : 20;
          const active = one(T.rule, `svc-router-${col}-header`).inputs;
          assert.equal(active.listenerArn, arn("svc-router-listener"));
          assert.equal(active.priority, priority);
          assert.deepEqual(active.conditions, headerCondition(col));
          assert.deepEqual(active.actions, [{ type: "forward", targetGroupArn: arn(`svc-${col}-tg`) }]);
          const preview = one(T.rule, `svc-${col}-preview`).inputs;
          assert.equal(preview.listenerArn, arn("svc-alb-preview"));
          assert.equal(preview.priority, priority);
          assert.deepEqual(preview.conditions, headerCondition(col));
          assert.deepEqual(preview.actions, [{ type: "forward", targetGroupArn: arn(`svc-${col}-tg`) }]);
        }
        assert.equal(gateUrl, "http://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com:9000");
        assert.equal(gateMetrics, "cloudwatch");
      });

      it(`${label}: the snapshot and gate wait until every color is reachable by header`, async () => {
        const { reachable } = await deploy(c);
        assert.deepEqual(reachable.map(nameOf).sort(), c.colors.map((col) => `svc-${col}`));
        for (const col of c.colors) {
          assert.ok(
            rec.events.indexOf("start:svc-snapshot-green-v1-5-0") > rec.events.indexOf(`done:svc-${col}-preview`),
            `snapshot taken before ${col} was reachable by header: ${rec.events.join(", ")}`,
          );
        }
      });

      it(`${label}: the weights wait for the snapshot and the gate`, async () => {
        await deploy(c);
        assert.deepEqual(await dependsOnNames("svc-router-listener"), ["svc-gate", "svc-snapshot"]);
        const start = rec.events.indexOf("start:svc-router-listener");
        assert.ok(start > rec.events.indexOf("done:svc-gate"), `listener registered before the gate finished: ${rec.events.join(", ")}`);
        assert.ok(start > rec.events.indexOf("done:svc-snapshot-green-v1-5-0"), `listener registered before the snapshot finished: ${rec.events.join(", ")}`);
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
        assert.deepEqual(await dependsOnNames(`svc-${col}-service`), [`svc-${col}-preview`]);
        assert.ok(
          rec.events.indexOf(`start:svc-${col}-service`) > rec.events.indexOf(`done:svc-${col}-preview`),
          `ECS service registered before its preview rule: ${rec.events.join(", ")}`,
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
      const t = target.awsTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) });
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
        { stickinessSeconds: 3600, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc", listenerPort: 443, previewListenerPort: 8443 },
      );
      const listener = one(T.listener, "svc-router-listener").inputs;
      assert.deepEqual(listener.defaultActions[0].forward.stickiness, { enabled: true, duration: 3600 });
      assert.equal(listener.protocol, "HTTPS");
      assert.equal(listener.port, 443);
      assert.equal(listener.certificateArn, "arn:aws:acm:eu-west-1:123456789012:certificate/abc");
      assert.equal(listener.sslPolicy, router.SSL_POLICY);
      assert.equal(one(T.listener, "svc-alb-preview").inputs.protocol, "HTTPS");
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
        () => router.validateAwsRouterArgs({ service: "app", weights: { blue: 90, green: 10 }, targetGroups: { blue: "tg-blue" }, loadBalancer: {} as RouterModule.AwsLoadBalancer }),
        { message: "AwsRouter: weights.green is 10 but green has no environment (set deployment-runbook:green.version)" },
      );
      assert.deepEqual(router.weightedForwardAction({ blue: 100, green: 0 }, { blue: "tg-blue" }), {
        type: "forward",
        forward: { targetGroups: [{ arn: "tg-blue", weight: 100 }] },
      });
    });
  });

  describe("backup snapshot", () => {
    it("snapshots the RDS instance, named after the trigger, retained forever", async () => {
      const before = new Date();
      const { snapshot } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const s = one(T.snapshot, "svc-snapshot-green-v1-5-0").inputs;
      assert.equal(s.dbInstanceIdentifier, "shop-db");
      assert.match(s.dbSnapshotIdentifier, /^app-green-v1-5-0-\d{14}$/);
      assert.equal(s.tags["runbook:trigger"], "green v1.5.0");
      const takenAt = await valueOf(snapshot.takenAt);
      assert.equal(takenAt, s.tags["runbook:taken-at"]);
      assert.ok(new Date(takenAt) >= new Date(before.getTime() - 1000), `takenAt ${takenAt} is the time of this update`);
      assert.equal(await valueOf(snapshot.verified), true);
      assert.equal(await valueOf(snapshot.snapshotId), s.dbSnapshotIdentifier);
      const opts = optionsOf("svc-snapshot-green-v1-5-0");
      assert.equal(opts.retainOnDelete, true);
      // protect would make the engine refuse to drop this snapshot from the stack at the next
      // promotion (its name follows the trigger); retainOnDelete keeps it in the account instead.
      assert.notEqual(opts.protect, true);
      assert.deepEqual(opts.ignoreChanges, ["dbSnapshotIdentifier", 'tags["runbook:taken-at"]']);
    });

    it("derives a valid, unique RDS identifier from the trigger and the time", () => {
      const at = new Date("2025-03-04T05:06:07Z");
      assert.equal(snapshotModule.snapshotIdentifier("app", "Green: v1.5.0+build.7", at), "app-green-v1-5-0-build-7-20250304050607");
      assert.throws(() => snapshotModule.validateAwsSnapshotArgs({ service: "app", trigger: "---" }), {
        message: 'AwsSnapshot: trigger must contain a letter or digit (got "---")',
      });
    });
  });

  describe("validation", () => {
    it("refuses a stack without image, VPC or two subnets, naming the keys", () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" }, { image: undefined, vpcId: undefined, subnetIds: ["subnet-a"] });
      assert.throws(() => target.awsTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) }), {
        message:
          "invalid stack config for the aws target:\n" +
          "  - deployment-runbook:aws.image: is required on the aws target (the image repository; each color's version is the tag)\n" +
          "  - deployment-runbook:aws.vpcId: is required on the aws target (the VPC of the target groups)\n" +
          "  - deployment-runbook:aws.subnetIds: must name at least 2 subnets in different availability zones for the ALB (got 1)",
      });
      assert.deepEqual(rec.registered, []);
    });

    it("refuses a preview listener on the active listener's port", () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" }, { previewListenerPort: 80 });
      assert.throws(() => target.awsTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) }), {
        message: /deployment-runbook:aws\.previewListenerPort: must differ from deployment-runbook:aws\.listenerPort \(both are 80\)/,
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
            previewListenerArn: "arn",
            cpu: 256,
            memoryMiB: 4096,
          }),
        { message: "AwsEnvironment blue: memoryMiB 4096 is not a Fargate size for cpu 256" },
      );
    });

    it("gives the CloudWatch dimensions of a color for the gates", async () => {
      const { target: t } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      assert.deepEqual(await valueOf(t.cloudWatchDimensions("app", "green")), {
        targetGroup: "targetgroup/svc-green-tg/00112233aabbccdd",
        loadBalancer: "app/svc-alb-lb/0123456789abcdef",
      });
    });
  });

  // The whole program's order, through BlueGreenService: the snapshot, then the gates, then the
  // weights. The mocks cannot see dependsOn, so the recorded options of the resource that moves
  // traffic name what it waits for, and the registration order shows that it really waited.
  describe("BlueGreenService on the aws target", () => {
    it("takes the snapshot, then runs the gates, then moves the weights (green 0% -> 10%)", async () => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { BlueGreenService } = require("../../components/service/blue-green-service");
      const { planShift } = require("../../components/shift/plan");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const plan: ShiftPlan = planShift(
        { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.4.0" }, proven: { blue: { version: "v1.4.0", since: "2025-01-01T00:00:00Z" } } },
        { blue: 90, green: 10 },
        { blue: "v1.4.0", green: "v1.5.0" },
      );
      assert.equal(plan.kind, "promote");
      const root = new Root("root");
      const svc: pulumi.Resource = new BlueGreenService(
        "svc",
        { target: target.awsTarget({ config: cfg, plan }), config: cfg, plan, snapshotTrigger: "green:v2.0.0:g0", project: "deployment-runbook", stack: "production", recordDirectory: "/nonexistent/records" },
        { parent: root },
      );
      await settle();

      const children = rec.constructed.filter((c) => c.opts.parent === svc);
      const snapshots = children.filter((c) => c.type === "runbook:backup:AwsSnapshot");
      const gates = children.filter((c) => /^runbook:gates?:/.test(c.type));
      assert.equal(snapshots.length, 1, `BlueGreenService must take one snapshot before moving traffic; it created ${children.map((c) => c.type).join(", ")}`);
      assert.ok(gates.length >= 1, `a promotion must be gated; BlueGreenService created ${children.map((c) => c.type).join(", ")}`);

      const deps = await dependsOnNames("svc-router-listener");
      for (const r of snapshots) assert.ok(deps.includes(r.name), `svc-router-listener must depend on ${r.name} (it depends on ${deps.join(", ")})`);
      // A gate is a component; the weights wait for the check resource inside it.
      for (const g of gates) assert.ok(deps.includes(`${g.name}-check`), `svc-router-listener must depend on ${g.name}-check (it depends on ${deps.join(", ")})`);
      const start = rec.events.indexOf("start:svc-router-listener");
      assert.ok(start >= 0, "the weights were never registered");
      for (const r of [...snapshots, ...gates].flatMap((c) => [c, ...descendantsOf(c.resource)])) {
        const done = rec.events.indexOf(`done:${r.name}`);
        assert.ok(done >= 0 && done < start, `svc-router-listener registered before ${r.name} finished: ${rec.events.join(", ")}`);
      }
    });
  });

  describe("example stack", () => {
    it("stacks/Pulumi.production.yaml is valid and deploys under mocks", async () => {
      const cfg = exampleStack("Pulumi.production.yaml");
      assert.equal(cfg.target, "aws");
      const { url } = await deployConfig(cfg);
    const listener = one(T.listener, "svc-router-listener").inputs;
    assert.deepEqual(listener.defaultActions[0].forward.targetGroups.map((g: { weight: number }) => g.weight), [100, 0]);
    assert.equal(listener.protocol, "HTTPS");
    assert.equal(url, "https://svc-alb-lb-123456.eu-west-1.elb.amazonaws.com");
    });
  });
});
