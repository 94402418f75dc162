// Unit tests of the kubernetes target (components/targets/kubernetes.ts and the components it
// creates) with Pulumi mocks: no cluster is reachable here. The mocks record every resource the
// program registers, in order, and fail on any provider call (invoke) nobody mocked. A
// transformation on the test's root component records each resource's options (dependsOn,
// retainOnDelete, protect), which the mocks never see.
//
// The flow is driven the way BlueGreenService drives a target: environments, the snapshot, a gate,
// then the router with dependsOn [snapshot, gate]. Traffic at 0, 10, 50 and 100.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../../components/config/stack-config";
import type * as TargetModule from "../../components/targets/kubernetes";
import type * as RouterModule from "../../components/router/kubernetes-router";
import type * as EnvironmentModule from "../../components/environment/kubernetes-environment";
import type { BlueGreenTarget, EnvironmentResource, SnapshotResource } from "../../components/targets/target";
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

/** Resource types whose registration the mocks make slow, to show what waits for them. */
const SLOW_TYPES = new Set(["kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot", "runbook:test:Gate"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mocks: pulumi.runtime.Mocks = {
  async newResource(args) {
    rec.events.push(`start:${args.name}`);
    rec.registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? false });
    if (SLOW_TYPES.has(args.type)) await sleep(40);
    const state = { ...args.inputs };
    if (args.type.startsWith("kubernetes:")) {
      state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}-abcd1234`, creationTimestamp: "2025-01-01T10:00:00Z" };
    }
    if (args.type === "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot") {
      state.status = { readyToUse: true, creationTime: "2025-01-01T10:00:05Z" };
    }
    rec.events.push(`done:${args.name}`);
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    rec.unmockedCalls.push(args.token);
    throw new Error(`unmocked call ${args.token}: the kubernetes target must not invoke provider functions`);
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

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  snapshot: "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot",
  gate: "runbook:test:Gate",
};

interface Case {
  green: number;
  blueVersion?: string;
  greenVersion?: string;
}

function stackConfig(c: Case, kubernetes: Record<string, unknown> = {}): ConfigModule.StackConfig {
  return config.parseStackConfig({
    target: "kubernetes",
    service: { name: "app" },
    blue: c.blueVersion ? { version: c.blueVersion, replicas: 3 } : { replicas: 3 },
    green: c.greenVersion ? { version: c.greenVersion, replicas: 1, env: { FEATURE_X: "on" } } : {},
    traffic: { green: c.green },
    kubernetes: {
      image: "ghcr.io/acme/app",
      namespace: "shop",
      hostname: "app.staging.example.com",
      gatewayName: "public",
      gatewayNamespace: "gateways",
      ...kubernetes,
    },
  });
}

/** The targets read only `next` and `towards` of the plan. */
function planFor(next: Weights, towards?: Color): ShiftPlan {
  const p: Pick<ShiftPlan, "kind" | "next" | "towards"> = { kind: "promote", next, towards };
  return p as ShiftPlan;
}

/** Drives the target the way BlueGreenService does, under a root that records options. */
async function deploy(c: Case, kubernetes: Record<string, unknown> = {}) {
  return deployConfig(stackConfig(c, kubernetes));
}

async function deployConfig(cfg: ConfigModule.StackConfig) {
  const weights = config.configuredWeights(cfg);
  const service = cfg.service.name;
  const t: BlueGreenTarget = target.kubernetesTarget({ config: cfg, plan: planFor(weights, "green") });
  const root = new Root("root");
  const environments: Partial<Record<Color, EnvironmentResource>> = {};
  for (const color of ["blue", "green"] as const) {
    const r = cfg[color];
    if (!r.version) continue;
    environments[color] = t.environment(`svc-${color}`, { service, color, release: { version: r.version, replicas: r.replicas, env: r.env } }, { parent: root });
  }
  let snapshot: SnapshotResource | undefined;
  let reachable: pulumi.Resource[] | undefined;
  const r = t.router(
    "svc-router",
    {
      service,
      weights,
      environments,
      // As BlueGreenService does: snapshot, then gate, once every color is reachable by header.
      beforeWeights: (ready) => {
        reachable = ready;
        snapshot = t.snapshot("svc-snapshot", { service, trigger: "green v1.5.0" }, { parent: root, dependsOn: ready });
        return [snapshot, new Gate("svc-gate", { parent: root, dependsOn: [...ready, snapshot] })];
      },
    },
    { parent: root },
  );
  await settle();
  assert.ok(snapshot && reachable, "the router never called beforeWeights");
  return { target: t, router: r, snapshot, reachable, environments, url: await valueOf(r.url), weights: await valueOf(r.weights) };
}

function environmentResources(color: Color): string[] {
  return [
    `${T.deployment}::svc-${color}-deployment`,
    `${T.route}::svc-${color}-preview`,
    `${T.service}::svc-${color}-service`,
    `${T.pdb}::svc-${color}-pdb`,
  ];
}

describe("kubernetes target", () => {
  before(async () => {
    await pulumi.runtime.setMocks(mocks, "deployment-runbook", "staging", false);
    /* eslint-disable @typescript-eslint/no-require-imports */
    config = require("../../components/config/stack-config");
    target = require("../../components/targets/kubernetes");
    router = require("../../components/router/kubernetes-router");
    environment = require("../../components/environment/kubernetes-environment");
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  beforeEach(reset);
  afterEach(() => assert.deepEqual(rec.unmockedCalls, [], "the target made provider calls nobody mocked"));

  describe("gateway-api mode, traffic at 0, 10, 50 and 100", () => {
    const table: (Case & { colors: Color[]; backendRefs: { name: string; port: number; weight: number }[] })[] = [
      { green: 0, blueVersion: "v1.4.0", colors: ["blue"], backendRefs: [{ name: "app-blue", port: 80, weight: 100 }] },
      {
        green: 10,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 90 },
          { name: "app-green", port: 80, weight: 10 },
        ],
      },
      {
        green: 50,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 50 },
          { name: "app-green", port: 80, weight: 50 },
        ],
      },
      {
        green: 100,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 0 },
          { name: "app-green", port: 80, weight: 100 },
        ],
      },
      { green: 100, greenVersion: "v1.5.0", colors: ["green"], backendRefs: [{ name: "app-green", port: 80, weight: 100 }] },
    ];

    for (const c of table) {
      const label = `green ${c.green}% with ${c.colors.join(" and ")} running`;

      it(`${label}: creates exactly the environments, snapshot and route, nothing else`, async () => {
        await deploy(c);
        assert.deepEqual(
          customs(),
          [...c.colors.flatMap(environmentResources), `${T.route}::svc-router-route`, `${T.snapshot}::svc-snapshot-green-v1-5-0`, `${T.gate}::svc-gate`].sort(),
        );
        assert.deepEqual(
          components(),
          [
            "runbook:test:Root::root",
            ...c.colors.map((col) => `runbook:environment:KubernetesEnvironment::svc-${col}`),
            "runbook:backup:KubernetesSnapshot::svc-snapshot",
            "runbook:router:KubernetesRouter::svc-router",
          ].sort(),
        );
        for (const col of ["blue", "green"] as const) {
          if (c.colors.includes(col)) continue;
          assert.ok(!rec.registered.some((r) => r.name.startsWith(`svc-${col}`)), `nothing of ${col} may exist without its version`);
        }
        assert.ok(!rec.registered.some((r) => r.name === "svc-router-active"), "no active Service in gateway-api mode");
      });

      it(`${label}: the route's default rule carries the weights, one backendRef per running color`, async () => {
        const { url, weights } = await deploy(c);
        const route = one(T.route, "svc-router-route").inputs;
        assert.equal(route.apiVersion, "gateway.networking.k8s.io/v1");
        assert.equal(route.kind, "HTTPRoute");
        assert.equal(route.metadata.namespace, "shop");
        assert.deepEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }]);
        assert.deepEqual(route.spec.hostnames, ["app.staging.example.com"]);
        assert.deepEqual(route.spec.rules, [{ backendRefs: c.backendRefs }]);
        assert.deepEqual(weights, { blue: 100 - c.green, green: c.green });
        assert.equal(url, "http://app.staging.example.com");
      });

      it(`${label}: each running color has a header route that reaches it whatever the weights`, async () => {
        await deploy(c);
        for (const col of c.colors) {
          const preview = one(T.route, `svc-${col}-preview`).inputs;
          assert.deepEqual(preview.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }]);
          assert.deepEqual(preview.spec.hostnames, ["app.staging.example.com"]);
          assert.deepEqual(preview.spec.rules, [
            {
              matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: "X-Runbook-Color", value: col }] }],
              backendRefs: [{ name: `app-${col}`, port: 80 }],
            },
          ]);
        }
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
        assert.deepEqual(await dependsOnNames("svc-router-route"), ["svc-gate", "svc-snapshot"]);
        const start = rec.events.indexOf("start:svc-router-route");
        assert.ok(start > rec.events.indexOf("done:svc-gate"), `route registered before the gate finished: ${rec.events.join(", ")}`);
        assert.ok(start > rec.events.indexOf("done:svc-snapshot-green-v1-5-0"), `route registered before the snapshot finished: ${rec.events.join(", ")}`);
      });
    }
  });

  describe("environments", () => {
    it("runs each release as a Deployment with probes, resources and a surge-only rolling update", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const d = one(T.deployment, "svc-green-deployment").inputs;
      assert.equal(d.metadata.namespace, "shop");
      assert.deepEqual(d.metadata.labels, { app: "app", color: "green", version: "v1.5.0" });
      assert.equal(d.spec.replicas, 1);
      assert.deepEqual(d.spec.selector, { matchLabels: { app: "app", color: "green" } });
      assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      assert.deepEqual(d.spec.template.metadata.labels, { app: "app", color: "green", version: "v1.5.0" });
      const [container] = d.spec.template.spec.containers;
      assert.equal(d.spec.template.spec.containers.length, 1);
      assert.equal(container.image, "ghcr.io/acme/app:v1.5.0");
      assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080 }]);
      assert.deepEqual(container.env, [
        { name: "RUNBOOK_VERSION", value: "v1.5.0" },
        { name: "RUNBOOK_COLOR", value: "green" },
        { name: "FEATURE_X", value: "on" },
      ]);
      assert.deepEqual(container.readinessProbe, { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 });
      assert.deepEqual(container.livenessProbe, { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
      assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
      assert.equal(one(T.deployment, "svc-blue-deployment").inputs.spec.template.spec.containers[0].image, "ghcr.io/acme/app:v1.4.0");
    });

    it("takes requests and limits from the stack config", async () => {
      await deploy({ green: 0, blueVersion: "v1.4.0" }, { cpuRequestMillicores: 250, cpuLimitMillicores: 1000, memoryRequestMiB: 256, memoryLimitMiB: 512 });
      const container = one(T.deployment, "svc-blue-deployment").inputs.spec.template.spec.containers[0];
      assert.deepEqual(container.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "512Mi" } });
    });

    it("gives each color a ClusterIP Service selecting app and color", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      for (const col of ["blue", "green"] as const) {
        const s = one(T.service, `svc-${col}-service`).inputs;
        assert.equal(s.metadata.name, `app-${col}`);
        assert.equal(s.metadata.namespace, "shop");
        assert.deepEqual(s.spec, { type: "ClusterIP", selector: { app: "app", color: col }, ports: [{ name: "http", port: 80, targetPort: "http" }] });
      }
    });

    it("guards each color with a PodDisruptionBudget: one pod at a time, none when it has one replica", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const blue = one(T.pdb, "svc-blue-pdb").inputs; // 3 replicas
      const green = one(T.pdb, "svc-green-pdb").inputs; // 1 replica
      assert.deepEqual(blue.spec, { maxUnavailable: 1, selector: { matchLabels: { app: "app", color: "blue" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
      assert.deepEqual(green.spec, { maxUnavailable: 0, selector: { matchLabels: { app: "app", color: "green" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
      assert.deepEqual(environment.disruptionBudget(2), { maxUnavailable: 1 });
    });

    it("a second service instance never collides with the first", async () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" });
      const t = target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) });
      const root = new Root("root");
      const release = { version: "v1.4.0", replicas: 2, env: {} };
      t.environment("one-blue", { service: "app", color: "blue", release }, { parent: root });
      t.environment("two-blue", { service: "app", color: "blue", release }, { parent: root });
      await settle();
      const names = rec.registered.map((r) => `${r.type}::${r.name}`);
      assert.equal(new Set(names).size, names.length, `duplicate resources: ${names.join(", ")}`);
      assert.ok(names.includes(`${T.deployment}::one-blue-deployment`) && names.includes(`${T.deployment}::two-blue-deployment`));
    });
  });

  describe("backup snapshot", () => {
    it("snapshots the database claim with the configured class, retained forever", async () => {
      const { snapshot } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { snapshotClass: "ebs-snapclass", databaseClaim: "pg-data" });
      const s = one(T.snapshot, "svc-snapshot-green-v1-5-0").inputs;
      assert.equal(s.apiVersion, "snapshot.storage.k8s.io/v1");
      assert.equal(s.kind, "VolumeSnapshot");
      assert.equal(s.metadata.namespace, "shop");
      assert.equal(s.metadata.name, undefined, "auto-named, so a retained snapshot of the same release never collides");
      assert.equal(s.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.readyToUse}=true");
      assert.deepEqual(s.spec, { volumeSnapshotClassName: "ebs-snapclass", source: { persistentVolumeClaimName: "pg-data" } });
      const opts = optionsOf("svc-snapshot-green-v1-5-0");
      assert.equal(opts.retainOnDelete, true);
      // protect would make the engine refuse to drop this snapshot from the stack at the next
      // promotion (its name follows the trigger); retainOnDelete keeps it in the cluster instead.
      assert.notEqual(opts.protect, true);
      assert.equal(await valueOf(snapshot.snapshotId), "shop/svc-snapshot-green-v1-5-0-abcd1234");
      assert.equal(await valueOf(snapshot.takenAt), "2025-01-01T10:00:05Z");
      assert.equal(await valueOf(snapshot.verified), true);
    });

    it("a new trigger is a new snapshot resource", async () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" });
      const t = target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) });
      const root = new Root("root");
      t.snapshot("a-snapshot", { service: "app", trigger: "green-v1.5.0" }, { parent: root });
      t.snapshot("b-snapshot", { service: "app", trigger: "green-v1.6.0" }, { parent: root });
      await settle();
      assert.deepEqual(customs(), [`${T.snapshot}::a-snapshot-green-v1-5-0`, `${T.snapshot}::b-snapshot-green-v1-6-0`]);
    });
  });

  describe("service-selector mode", () => {
    for (const c of [
      { green: 0, blueVersion: "v1.4.0", active: "blue" },
      { green: 100, blueVersion: "v1.4.0", greenVersion: "v1.5.0", active: "green" },
    ]) {
      it(`green ${c.green}%: one active Service selecting ${c.active}, no route`, async () => {
        const { url, weights } = await deploy(c, { mode: "service-selector", hostname: undefined });
        const active = one(T.service, "svc-router-active").inputs;
        assert.deepEqual(active.metadata, { name: "app-active", namespace: "shop", labels: { app: "app" } });
        assert.deepEqual(active.spec, { type: "ClusterIP", selector: { app: "app", color: c.active }, ports: [{ name: "http", port: 80, targetPort: "http" }] });
        assert.ok(!rec.registered.some((r) => r.type === T.route), "no HTTPRoute without Gateway API");
        assert.deepEqual(await dependsOnNames("svc-router-active"), ["svc-gate", "svc-snapshot"]);
        assert.equal(url, "http://app-active.shop.svc.cluster.local");
        assert.deepEqual(weights, { blue: 100 - c.green, green: c.green });
      });
    }

    for (const green of [10, 50]) {
      it(`green ${green}%: refused before any resource exists, naming the config keys`, () => {
        const cfg = stackConfig({ green, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { mode: "service-selector" });
        const message =
          `deployment-runbook:traffic.green is ${green}, but deployment-runbook:kubernetes.mode "service-selector" can only send all traffic to one color: ` +
          `set deployment-runbook:traffic.green to 0 or 100, or set deployment-runbook:kubernetes.mode to "gateway-api" for a weighted split`;
        assert.throws(() => target.kubernetesTarget({ config: cfg, plan: planFor(config.configuredWeights(cfg), "green") }), { message });
        assert.throws(() => router.validateServiceSelectorWeights({ blue: 100 - green, green }), { message });
        assert.deepEqual(rec.registered, []);
      });
    }

    it("gates reach the color gaining traffic through its own Service", () => {
      const cfg = stackConfig({ green: 100, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { mode: "service-selector" });
      const t = target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 0, green: 100 }, "green") });
      assert.deepEqual(t.gateEndpoint("app"), { baseUrl: "http://app-green.shop.svc.cluster.local", metrics: "prometheus" });
    });
  });

  describe("validation and gate endpoint", () => {
    it("gates reach a color through the gateway hostname with the header, reading Prometheus", () => {
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { gatewayScheme: "https" });
      const t = target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 90, green: 10 }, "green") });
      assert.deepEqual(t.gateEndpoint("app"), { baseUrl: "https://app.staging.example.com", metrics: "prometheus" });
    });

    it("refuses a stack without image or hostname, naming the keys", () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" }, { image: undefined, hostname: undefined });
      assert.throws(() => target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) }), {
        message:
          "invalid stack config for the kubernetes target:\n" +
          "  - deployment-runbook:kubernetes.image: is required on the kubernetes target (the image repository; each color's version is the tag)\n" +
          '  - deployment-runbook:kubernetes.hostname: is required when deployment-runbook:kubernetes.mode is "gateway-api" (the hostname the gateway serves the service at)',
      });
    });

    it("refuses requests above limits", () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" }, { cpuRequestMillicores: 900, cpuLimitMillicores: 500 });
      assert.throws(() => target.kubernetesTarget({ config: cfg, plan: planFor({ blue: 100, green: 0 }) }), {
        message: /deployment-runbook:kubernetes\.cpuRequestMillicores: must not exceed deployment-runbook:kubernetes\.cpuLimitMillicores \(900 > 500\)/,
      });
    });

    it("the router never sends weight to a color without an environment", () => {
      assert.throws(
        () =>
          router.validateKubernetesRouterArgs({
            service: "app",
            weights: { blue: 90, green: 10 },
            backends: { blue: "app-blue" },
            gateway: { name: "public", hostname: "app.example.com" },
          }),
        { message: "KubernetesRouter: weights.green is 10 but green has no environment (set deployment-runbook:green.version)" },
      );
      assert.deepEqual(router.weightedBackendRefs({ blue: 100, green: 0 }, { blue: "app-blue" }), [{ name: "app-blue", port: 80, weight: 100 }]);
    });

    it("environment arguments are checked before anything is created", () => {
      const base = { service: "app", color: "blue" as const, release: { version: "v1", replicas: 2, env: {} }, image: "ghcr.io/acme/app" };
      assert.throws(() => environment.validateKubernetesEnvironmentArgs({ ...base, image: "ghcr.io/acme/app:v1" }), {
        message: 'KubernetesEnvironment blue: image must be a repository without tag or digest, the release version is the tag (got "ghcr.io/acme/app:v1")',
      });
      assert.throws(() => environment.validateKubernetesEnvironmentArgs({ ...base, release: { ...base.release, env: { RUNBOOK_COLOR: "green" } } }), {
        message: "KubernetesEnvironment blue: release.env must not set RUNBOOK_COLOR (the environment sets it from the release)",
      });
      assert.doesNotThrow(() => environment.validateKubernetesEnvironmentArgs({ ...base, image: "registry.local:5000/acme/app" }));
    });
  });

  // The whole program's order, through BlueGreenService: the snapshot, then the gates, then the
  // weights. The mocks cannot see dependsOn, so the recorded options of the resource that moves
  // traffic name what it waits for, and the registration order shows that it really waited.
  describe("BlueGreenService on the kubernetes target", () => {
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
        { target: target.kubernetesTarget({ config: cfg, plan }), config: cfg, plan, snapshotTrigger: "green:v2.0.0:g0", project: "deployment-runbook", stack: "staging", recordDirectory: "/nonexistent/records" },
        { parent: root },
      );
      await settle();

      const children = rec.constructed.filter((c) => c.opts.parent === svc);
      const snapshots = children.filter((c) => c.type === "runbook:backup:KubernetesSnapshot");
      const gates = children.filter((c) => /^runbook:gates?:/.test(c.type));
      assert.equal(snapshots.length, 1, `BlueGreenService must take one snapshot before moving traffic; it created ${children.map((c) => c.type).join(", ")}`);
      assert.ok(gates.length >= 1, `a promotion must be gated; BlueGreenService created ${children.map((c) => c.type).join(", ")}`);

      const deps = await dependsOnNames("svc-router-route");
      for (const r of snapshots) assert.ok(deps.includes(r.name), `svc-router-route must depend on ${r.name} (it depends on ${deps.join(", ")})`);
      // A gate is a component; the weights wait for the check resource inside it.
      for (const g of gates) assert.ok(deps.includes(`${g.name}-check`), `svc-router-route must depend on ${g.name}-check (it depends on ${deps.join(", ")})`);
      const start = rec.events.indexOf("start:svc-router-route");
      assert.ok(start >= 0, "the weights were never registered");
      for (const r of [...snapshots, ...gates].flatMap((c) => [c, ...descendantsOf(c.resource)])) {
        const done = rec.events.indexOf(`done:${r.name}`);
        assert.ok(done >= 0 && done < start, `svc-router-route registered before ${r.name} finished: ${rec.events.join(", ")}`);
      }
    });
  });

  describe("example stack", () => {
    it("stacks/Pulumi.staging.yaml is valid and deploys under mocks", async () => {
      const cfg = exampleStack("Pulumi.staging.yaml");
      assert.equal(cfg.target, "kubernetes");
      const { url } = await deployConfig(cfg);
    const route = one(T.route, "svc-router-route").inputs;
    assert.deepEqual(route.spec.rules[0].backendRefs.map((b: { weight: number }) => b.weight), [90, 10]);
    assert.equal(url, "https://shop.staging.example.com");
    });
  });
});
